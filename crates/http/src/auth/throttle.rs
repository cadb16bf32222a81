//! Login throttling: failed attempts counted per client address and per
//! account over a sliding minute; past the limit, attempts are answered 429
//! with `Retry-After` without checking the password. Successful logins are
//! not counted. Counters live in this process (per instance, as DESIGN.md
//! allows); they are bounded in size.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
/// Keys tracked at most; past this, the oldest entries are dropped.
const MAX_KEYS: usize = 100_000;

pub struct LoginThrottle {
    max_failures: usize,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginThrottle {
    pub fn new(max_failures: u32) -> Self {
        Self { max_failures: max_failures as usize, failures: Mutex::new(HashMap::new()) }
    }

    fn keys(ip: &str, email: &str) -> [String; 2] {
        [format!("ip:{ip}"), format!("account:{}", email.trim().to_lowercase())]
    }

    /// `Some(seconds)` to wait when either key is over the limit.
    pub fn blocked(&self, ip: &str, email: &str) -> Option<u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait: Option<Duration> = None;
        for key in Self::keys(ip, email) {
            if let Some(times) = map.get_mut(&key) {
                while times.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                    times.pop_front();
                }
                if times.len() >= self.max_failures {
                    if let Some(oldest) = times.front() {
                        let left = WINDOW.saturating_sub(now.duration_since(*oldest));
                        wait = Some(wait.map_or(left, |w| w.max(left)));
                    }
                }
            }
        }
        wait.map(|w| w.as_secs().max(1))
    }

    pub fn record_failure(&self, ip: &str, email: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_KEYS {
            map.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        for key in Self::keys(ip, email) {
            let times = map.entry(key).or_default();
            times.push_back(now);
            while times.len() > self.max_failures + 1 {
                times.pop_front();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_per_ip_and_per_account() {
        let t = LoginThrottle::new(3);
        for _ in 0..3 {
            assert_eq!(t.blocked("10.0.0.1", "a@x.org"), None);
            t.record_failure("10.0.0.1", "a@x.org");
        }
        assert!(t.blocked("10.0.0.1", "a@x.org").is_some_and(|s| (1..=60).contains(&s)));
        assert!(t.blocked("10.0.0.9", "A@X.org").is_some(), "per account, whatever the address");
        assert!(t.blocked("10.0.0.1", "b@x.org").is_some(), "per address, whatever the account");
        assert_eq!(t.blocked("10.0.0.9", "b@x.org"), None);
    }
}
