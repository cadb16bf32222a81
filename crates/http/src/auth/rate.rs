//! Each API key's request rate: a token bucket per key that holds a
//! minute's allowance (`FOLLOWUP_API_KEY_RATE`) and refills continuously, so
//! an integrator may burst up to it and then goes at the allowed pace. Past
//! it, 429 `rate_limited` with `Retry-After`. Counted in this process, like
//! the sign-in throttle: with N instances behind a balancer a key gets up
//! to N times the rate. Bounded in size.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use actix_web::http::StatusCode;
use followup_domain::ids::ApiKeyId;

use crate::problem::ApiError;

/// Keys tracked at most; past this, full buckets are forgotten.
const MAX_KEYS: usize = 100_000;

pub struct KeyRate {
    per_minute: f64,
    buckets: Mutex<HashMap<ApiKeyId, (f64, Instant)>>,
}

impl KeyRate {
    /// `per_minute` requests a minute per key; 0 means no limit.
    pub fn new(per_minute: u32) -> Self {
        Self { per_minute: f64::from(per_minute), buckets: Mutex::new(HashMap::new()) }
    }

    /// Take one request from `key`'s allowance at `now`: `Err(seconds)` to
    /// wait when it is spent.
    pub fn take(&self, key: ApiKeyId, now: Instant) -> Result<(), u64> {
        if self.per_minute <= 0.0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_KEYS && !buckets.contains_key(&key) {
            let per_second = self.per_minute / 60.0;
            let full = self.per_minute;
            buckets.retain(|_, (left, at)| *left + now.duration_since(*at).as_secs_f64() * per_second < full);
        }
        let (left, at) = buckets.entry(key).or_insert((self.per_minute, now));
        let refilled =
            (*left + now.duration_since(*at).as_secs_f64() * self.per_minute / 60.0).min(self.per_minute);
        if refilled >= 1.0 {
            *left = refilled - 1.0;
            *at = now;
            Ok(())
        } else {
            *left = refilled;
            *at = now;
            let wait = (1.0 - refilled) * 60.0 / self.per_minute;
            // At least a second; the float is small and positive.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Err(wait.ceil().max(1.0) as u64)
        }
    }
}

/// 429 `rate_limited` with `Retry-After`.
pub fn rate_limited(wait: u64) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "Too many requests",
        format!("This API key has used its allowance of requests for now. Try again in {wait} seconds."),
    )
    .arg("wait", wait)
    .with_retry_after(wait)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_key_bursts_to_its_allowance_then_goes_at_its_pace() {
        let rate = KeyRate::new(60);
        let (key, other) = (ApiKeyId::new(), ApiKeyId::new());
        let start = Instant::now();
        for _ in 0..60 {
            assert_eq!(rate.take(key, start), Ok(()));
        }
        assert_eq!(rate.take(key, start), Err(1), "the minute's allowance is spent");
        assert_eq!(rate.take(other, start), Ok(()), "each key has its own");
        assert_eq!(rate.take(key, start + Duration::from_millis(1100)), Ok(()), "one a second comes back");
        assert!(rate.take(key, start + Duration::from_millis(1200)).is_err());
        assert_eq!(KeyRate::new(0).take(key, start), Ok(()), "0: no limit");
    }
}
