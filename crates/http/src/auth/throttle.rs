//! Sign-in throttling, after OWASP's guidance: failed attempts are counted
//! per client address and per account over a sliding minute; past a limit,
//! attempts answer 429 with `Retry-After` without checking the password.
//!
//! * Per address, strictly (`FOLLOWUP_LOGIN_MAX_FAILURES`, 5): one client
//!   cannot guess many passwords or spray many accounts.
//! * Per account, at a ceiling ten times higher, and never for an address
//!   that signed in to that account successfully in the last 30 days: failures
//!   from elsewhere cannot lock the owner out of their own account.
//!
//! Every check of a current password (sign-in, `POST /me/password`) goes
//! through it. Successful attempts are never counted. Counters live in this
//! process (per instance, as docs/design.md allows) and are bounded in size.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;

use crate::problem::ApiError;

const WINDOW: Duration = Duration::from_secs(60);
/// The per-account ceiling, as a multiple of the per-address limit.
const ACCOUNT_FACTOR: usize = 10;
/// How long an address that signed in stays known to its account.
const KNOWN_FOR: Duration = Duration::from_secs(30 * 24 * 3600);
/// Known addresses kept per account.
const KNOWN_PER_ACCOUNT: usize = 16;
/// Keys tracked at most; past this, the oldest entries are dropped.
const MAX_KEYS: usize = 100_000;

pub struct LoginThrottle {
    max_failures: usize,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
    /// Per account, the addresses that signed in to it, with when.
    known: Mutex<HashMap<String, Vec<(String, Instant)>>>,
}

fn account_key(account: &str) -> String {
    format!("account:{}", account.trim().to_lowercase())
}

fn address_key(ip: &str) -> String {
    format!("ip:{ip}")
}

impl LoginThrottle {
    pub fn new(max_failures: u32) -> Self {
        Self {
            max_failures: max_failures as usize,
            failures: Mutex::new(HashMap::new()),
            known: Mutex::new(HashMap::new()),
        }
    }

    fn is_known(&self, ip: &str, account: &str, now: Instant) -> bool {
        let known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        known
            .get(&account_key(account))
            .is_some_and(|seen| seen.iter().any(|(a, at)| a == ip && now.duration_since(*at) < KNOWN_FOR))
    }

    /// `Some(seconds)` to wait while the address, or the account for an
    /// address it does not know, is over its limit.
    pub fn blocked(&self, ip: &str, account: &str) -> Option<u64> {
        let now = Instant::now();
        let mut limits = vec![(address_key(ip), self.max_failures)];
        if !self.is_known(ip, account, now) {
            limits.push((account_key(account), self.max_failures * ACCOUNT_FACTOR));
        }
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait: Option<Duration> = None;
        for (key, limit) in limits {
            if let Some(times) = map.get_mut(&key) {
                while times.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                    times.pop_front();
                }
                if times.len() >= limit {
                    if let Some(oldest) = times.iter().rev().nth(limit - 1) {
                        let left = WINDOW.saturating_sub(now.duration_since(*oldest));
                        wait = Some(wait.map_or(left, |w| w.max(left)));
                    }
                }
            }
        }
        wait.map(|w| w.as_secs().max(1))
    }

    pub fn record_failure(&self, ip: &str, account: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_KEYS {
            map.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        for (key, limit) in
            [(address_key(ip), self.max_failures), (account_key(account), self.max_failures * ACCOUNT_FACTOR)]
        {
            let times = map.entry(key).or_default();
            times.push_back(now);
            while times.len() > limit + 1 {
                times.pop_front();
            }
        }
    }

    /// The address signed in to the account: from now on the account's
    /// ceiling does not apply to it.
    pub fn record_success(&self, ip: &str, account: &str) {
        let now = Instant::now();
        let mut known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        if known.len() >= MAX_KEYS {
            known.retain(|_, seen| seen.iter().any(|(_, at)| now.duration_since(*at) < KNOWN_FOR));
        }
        let seen = known.entry(account_key(account)).or_default();
        seen.retain(|(a, at)| a != ip && now.duration_since(*at) < KNOWN_FOR);
        seen.push((ip.to_owned(), now));
        if seen.len() > KNOWN_PER_ACCOUNT {
            seen.remove(0);
        }
    }
}

/// 429 `too_many_attempts` with `Retry-After`.
pub fn too_many_attempts(wait: u64) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        "Too many attempts",
        format!("Too many failed sign-ins. Try again in {wait} seconds."),
    )
    .arg("wait", wait)
    .with_retry_after(wait)
}

/// 429 `too_many_reset_requests` with `Retry-After`.
pub fn too_many_reset_requests(wait: u64) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_reset_requests",
        "Too many requests",
        format!("Too many password-reset requests. Try again in {wait} seconds."),
    )
    .arg("wait", wait)
    .with_retry_after(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_limited_strictly_an_account_at_a_ceiling_its_owner_never_hits() {
        let t = LoginThrottle::new(3);
        for _ in 0..3 {
            assert_eq!(t.blocked("10.0.0.1", "a@x.org"), None);
            t.record_failure("10.0.0.1", "a@x.org");
        }
        assert!(t.blocked("10.0.0.1", "a@x.org").is_some_and(|s| (1..=60).contains(&s)));
        assert!(t.blocked("10.0.0.1", "b@x.org").is_some(), "per address, whatever the account");
        assert_eq!(
            t.blocked("10.0.0.9", "A@X.org"),
            None,
            "three failures elsewhere do not lock the account"
        );

        // The owner signed in from 10.0.0.50 before; then 30 failures from 10 addresses.
        t.record_success("10.0.0.50", "a@x.org");
        for ip in 2..12 {
            for _ in 0..3 {
                t.record_failure(&format!("10.0.1.{ip}"), "a@x.org");
            }
        }
        assert!(t.blocked("10.0.2.1", "a@x.org").is_some(), "a new address meets the account's ceiling");
        assert_eq!(t.blocked("10.0.0.50", "a@x.org"), None, "the owner's known address does not");
    }
}
