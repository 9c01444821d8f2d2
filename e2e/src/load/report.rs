//! What a load run measured, as text (one figure per line) or one JSON object.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::{LoadConfig, non_ok, proc};

/// Latency percentiles of the recorded calls, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Latency {
    /// Fastest call.
    pub min_us: u64,
    /// Mean.
    pub mean_us: f64,
    /// Median.
    pub p50_us: u64,
    /// 90th percentile.
    pub p90_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Slowest call.
    pub max_us: u64,
}

/// What the server process used while calls were recorded.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ServerUsage {
    /// Its process id.
    pub pid: u32,
    /// CPU time (user + system) it used, in seconds.
    pub cpu_secs: f64,
    /// CPU time per recorded call, in microseconds.
    pub cpu_us_per_request: f64,
    /// Resident memory at the end, in KiB (`VmRSS`).
    pub rss_kib: u64,
    /// Highest resident memory so far, in KiB (`VmHWM`).
    pub hwm_kib: u64,
}

impl ServerUsage {
    /// Reads the memory of `pid` now and relates `cpu_secs` to `requests`.
    pub fn measure(pid: u32, cpu_secs: f64, requests: u64) -> anyhow::Result<Self> {
        let memory = proc::memory(Some(pid))?;
        let cpu_secs = ticks(cpu_secs);
        Ok(Self {
            pid,
            cpu_secs,
            cpu_us_per_request: per_request_us(cpu_secs, requests),
            rss_kib: memory.rss_kib,
            hwm_kib: memory.hwm_kib,
        })
    }
}

/// What a run was asked to do, as its report names it: the part of a configuration
/// the gRPC and the HTTP modes have in common.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RunShape {
    /// The server.
    pub target: String,
    /// What was called on it.
    pub method: String,
    /// Calls in flight at once.
    pub concurrency: usize,
    /// Connections opened at the start.
    pub connections: usize,
    /// Unrecorded warm-up.
    pub warmup: Duration,
    /// Recorded window.
    pub duration: Duration,
}

impl From<&LoadConfig> for RunShape {
    fn from(config: &LoadConfig) -> Self {
        Self {
            target: config.target.clone(),
            method: config.method.clone(),
            concurrency: config.concurrency,
            connections: config.connections,
            warmup: config.warmup,
            duration: config.duration,
        }
    }
}

/// The result of a load run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoadReport {
    /// The server: the gRPC URL, or the origin (`http://host:port`) in HTTP mode.
    pub target: String,
    /// The method called: `/pkg.Service/Method`, or the request line in HTTP mode
    /// (`GET /v1/clients/<id> HTTP/1.1`).
    pub method: String,
    /// Calls in flight at once.
    pub concurrency: usize,
    /// Connections used: HTTP/2 connections, or one per worker over HTTP/1.1.
    pub connections: usize,
    /// Unrecorded warm-up, in seconds.
    pub warmup_secs: f64,
    /// Recorded window, in seconds.
    pub duration_secs: f64,
    /// Calls recorded, whatever their code.
    pub total: u64,
    /// Calls answered OK.
    pub ok: u64,
    /// Recorded calls per second.
    pub requests_per_sec: f64,
    /// Latency of every recorded call.
    pub latency: Latency,
    /// Calls answered with another code than OK, by code name (HTTP statuses are
    /// mapped to codes, see [`crate::load::http::code_for_status`]).
    pub non_ok: BTreeMap<String, u64>,
    /// CPU time the load generator used while recording, in seconds.
    pub client_cpu_secs: f64,
    /// The load generator's CPU time per call, in microseconds.
    pub client_cpu_us_per_request: f64,
    /// The server's CPU time and memory, when its pid was given.
    pub server: Option<ServerUsage>,
}

impl LoadReport {
    /// Builds the report of a run.
    pub(super) fn new(
        shape: impl Into<RunShape>,
        latency: &Histogram<u64>,
        codes: &[u64; 17],
        client_cpu_secs: f64,
        server: Option<ServerUsage>,
    ) -> Self {
        let shape = shape.into();
        let total = latency.len();
        let client_cpu_secs = ticks(client_cpu_secs);
        let duration_secs = shape.duration.as_secs_f64();
        let empty = total == 0;
        let at = |q: f64| {
            if empty {
                0
            } else {
                latency.value_at_quantile(q)
            }
        };
        Self {
            target: shape.target,
            method: shape.method,
            concurrency: shape.concurrency,
            connections: shape.connections,
            warmup_secs: shape.warmup.as_secs_f64(),
            duration_secs,
            total,
            ok: codes[0],
            requests_per_sec: if duration_secs > 0.0 {
                total as f64 / duration_secs
            } else {
                0.0
            },
            latency: Latency {
                min_us: if empty { 0 } else { latency.min() },
                mean_us: if empty { 0.0 } else { latency.mean() },
                p50_us: at(0.50),
                p90_us: at(0.90),
                p99_us: at(0.99),
                max_us: if empty { 0 } else { latency.max() },
            },
            non_ok: non_ok(codes),
            client_cpu_secs,
            client_cpu_us_per_request: per_request_us(client_cpu_secs, total),
            server,
        }
    }

    /// Returns the report as lines of text.
    pub fn to_text(&self) -> String {
        let ms = |us: u64| us as f64 / 1000.0;
        let mut s = String::new();
        let _ = writeln!(s, "target:       {} {}", self.target, self.method);
        let _ = writeln!(
            s,
            "load:         {} concurrent calls over {} connections, {:.1} s recorded after {:.1} s warm-up",
            self.concurrency, self.connections, self.duration_secs, self.warmup_secs
        );
        let _ = writeln!(s, "total:        {} ({} OK)", self.total, self.ok);
        let _ = writeln!(s, "requests/s:   {:.1}", self.requests_per_sec);
        let l = &self.latency;
        let _ = writeln!(
            s,
            "latency (ms): p50 {:.3}  p90 {:.3}  p99 {:.3}  max {:.3}  (min {:.3}, mean {:.3})",
            ms(l.p50_us),
            ms(l.p90_us),
            ms(l.p99_us),
            ms(l.max_us),
            ms(l.min_us),
            l.mean_us / 1000.0
        );
        if self.non_ok.is_empty() {
            let _ = writeln!(s, "non-OK:       none");
        } else {
            for (code, n) in &self.non_ok {
                let _ = writeln!(s, "non-OK:       {code} {n}");
            }
        }
        let _ = writeln!(
            s,
            "client CPU:   {:.2} s ({:.1} us/request)",
            self.client_cpu_secs, self.client_cpu_us_per_request
        );
        if let Some(server) = &self.server {
            let _ = writeln!(
                s,
                "server CPU:   {:.2} s ({:.1} us/request), pid {}",
                server.cpu_secs, server.cpu_us_per_request, server.pid
            );
            let _ = writeln!(
                s,
                "server RSS:   {} KiB (peak {} KiB)",
                server.rss_kib, server.hwm_kib
            );
        }
        s
    }

    /// Returns the report as one JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!(r#"{{"error":"{e}"}}"#))
    }
}

/// Rounds a difference of clock-tick readings (10 ms apart) to those 10 ms.
fn ticks(secs: f64) -> f64 {
    (secs * 100.0).round() / 100.0
}

fn per_request_us(cpu_secs: f64, requests: u64) -> f64 {
    if requests == 0 {
        0.0
    } else {
        cpu_secs * 1e6 / requests as f64
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn figures_come_from_the_histogram_and_codes() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
        for us in 1..=100u64 {
            h.record(us * 100).unwrap();
        }
        let mut codes = [0u64; 17];
        codes[0] = 98;
        codes[5] = 2;
        let mut config = LoadConfig::new("http://x:1", "/a.B/C", "{}");
        config.duration = std::time::Duration::from_secs(2);
        let r = LoadReport::new(&config, &h, &codes, 0.5, None);
        assert_eq!(r.total, 100);
        assert_eq!(r.ok, 98);
        assert_eq!(r.requests_per_sec, 50.0);
        assert!((4990..=5010).contains(&r.latency.p50_us), "{:?}", r.latency);
        assert!((9890..=9910).contains(&r.latency.p99_us), "{:?}", r.latency);
        assert_eq!(r.non_ok["NOT_FOUND"], 2);
        assert_eq!(r.client_cpu_us_per_request, 5000.0);
        let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(json["total"], 100);
        assert_eq!(json["non_ok"]["NOT_FOUND"], 2);
        assert!(r.to_text().contains("non-OK:       NOT_FOUND 2"));
    }
}
