//! Per-IP and per-organisation rate limits: token buckets (GCRA) kept per key, with
//! idle keys forgotten in the background so memory stays bounded.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::RateLimits;
use crate::status::EdgeError;

/// The edge's rate limiters.
#[derive(Clone)]
pub struct Limits {
    per_ip: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
    per_organisation: Option<Arc<DefaultKeyedRateLimiter<String>>>,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("per_ip", &self.per_ip.is_some())
            .field("per_organisation", &self.per_organisation.is_some())
            .finish()
    }
}

fn quota(rate: u32, burst: u32) -> Option<Quota> {
    let rate = NonZeroU32::new(rate)?;
    let burst = NonZeroU32::new(burst).unwrap_or(rate);
    Some(Quota::per_second(rate).allow_burst(burst))
}

impl Limits {
    /// Returns limiters for `config`; a zero rate turns that limit off.
    pub fn new(config: &RateLimits) -> Self {
        Self {
            per_ip: quota(config.per_ip_per_second, config.per_ip_burst)
                .map(|q| Arc::new(RateLimiter::keyed(q))),
            per_organisation: quota(
                config.per_organisation_per_second,
                config.per_organisation_burst,
            )
            .map(|q| Arc::new(RateLimiter::keyed(q))),
        }
    }

    /// Takes one request from the bucket of `ip`.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), EdgeError> {
        let Some(limiter) = &self.per_ip else {
            return Ok(());
        };
        limiter
            .check_key(&ip)
            .map_err(|not_until| EdgeError::rate_limited("per-address", wait(&not_until)))
    }

    /// Takes one request from the bucket of `organisation`.
    pub fn check_organisation(&self, organisation: &str) -> Result<(), EdgeError> {
        let Some(limiter) = &self.per_organisation else {
            return Ok(());
        };
        limiter
            .check_key(&organisation.to_owned())
            .map_err(|not_until| EdgeError::rate_limited("per-organisation", wait(&not_until)))
    }

    /// Forgets keys whose buckets are full again; run it now and then.
    pub fn forget_idle(&self) {
        if let Some(l) = &self.per_ip {
            l.retain_recent();
            l.shrink_to_fit();
        }
        if let Some(l) = &self.per_organisation {
            l.retain_recent();
            l.shrink_to_fit();
        }
    }

    /// Runs [`Limits::forget_idle`] every minute until the task is dropped.
    pub async fn sweep(self) {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            self.forget_idle();
        }
    }
}

fn wait(not_until: &governor::NotUntil<governor::clock::QuantaInstant>) -> Duration {
    not_until.wait_time_from(DefaultClock::default().now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_next_request_waits() {
        let limits = Limits::new(&RateLimits {
            per_ip_per_second: 1,
            per_ip_burst: 3,
            per_organisation_per_second: 0,
            per_organisation_burst: 0,
        });
        let ip: IpAddr = [10, 0, 0, 1].into();
        for _ in 0..3 {
            assert!(limits.check_ip(ip).is_ok());
        }
        let refused = limits.check_ip(ip).err().map(|e| e.retry_after);
        assert!(
            matches!(refused, Some(Some(d)) if d > Duration::ZERO && d <= Duration::from_secs(1))
        );
        // Another address has its own bucket; organisations are unlimited here.
        assert!(limits.check_ip([10, 0, 0, 2].into()).is_ok());
        for _ in 0..100 {
            assert!(limits.check_organisation("org").is_ok());
        }
    }
}
