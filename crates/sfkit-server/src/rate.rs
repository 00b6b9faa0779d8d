//! A token bucket per API key: `rate` requests a second on average, bursts up to twice that.

use std::collections::HashMap;

use parking_lot::Mutex;
use std::time::Instant;

#[derive(Debug)]
pub(crate) struct RateLimiter {
    rate: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    pub(crate) fn new(rate: f64) -> Self {
        RateLimiter {
            rate: rate.max(0.001),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `key`; `Err(seconds)` to wait when there is none.
    pub(crate) fn take(&self, key: &str) -> Result<(), f64> {
        let burst = self.rate * 2.0;
        let mut buckets = self.buckets.lock();
        let now = Instant::now();
        let (tokens, at) = buckets.entry(key.to_owned()).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.rate).min(burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err((1.0 - *tokens) / self.rate)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_then_refuses() {
        let r = RateLimiter::new(5.0);
        for _ in 0..10 {
            assert!(r.take("k").is_ok());
        }
        let wait = r.take("k").unwrap_err();
        assert!(wait > 0.0 && wait <= 0.2, "{wait}");
        assert!(r.take("other").is_ok(), "keys have their own buckets");
    }
}
