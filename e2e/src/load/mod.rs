//! A ghz-style unary load generator: the JSON request is encoded once with the method's
//! input descriptor, then `concurrency` workers spread over `connections` HTTP/2
//! connections send the raw bytes for a fixed duration (after an unrecorded warm-up),
//! recording each call's latency in an HDR histogram and counting answers by code.
//!
//! [`http`] drives the JSON edge the same way (HTTP/1.1 or HTTP/2 requests instead of
//! gRPC calls) and reports in the same format, so the two can be compared.

mod codec;
pub mod http;
pub mod proc;
mod report;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use hdrhistogram::Histogram;
use prost::Message as _;
use prost::bytes::Bytes;
use prost_reflect::{DescriptorPool, DynamicMessage, MethodDescriptor};
use tonic::Code;
use tonic::codegen::http::uri::PathAndQuery;
use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::transport::{Channel, Endpoint};

pub use codec::RawCodec;
pub use http::{HttpLoadConfig, HttpVersion};
use report::RunShape;
pub use report::{Latency, LoadReport, ServerUsage};

/// Highest latency the histograms track, in microseconds (slower calls count as this).
const MAX_LATENCY_US: u64 = 60_000_000;

/// What to send, where, and how hard.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// gRPC URL of the server, `http://127.0.0.1:50052`.
    pub target: String,
    /// The method: `/pkg.Service/Method`, `pkg.Service/Method` or `pkg.Service.Method`.
    pub method: String,
    /// The request in proto3 JSON (JSON names or field names).
    pub data: String,
    /// Bearer token sent as `authorization`; none when empty.
    pub token: Option<String>,
    /// Calls in flight at once (one worker each).
    pub concurrency: usize,
    /// HTTP/2 connections the workers are spread over.
    pub connections: usize,
    /// How long calls are recorded.
    pub duration: Duration,
    /// How long calls are sent, unrecorded, before recording starts.
    pub warmup: Duration,
    /// Deadline of each call.
    pub timeout: Duration,
    /// A server process whose CPU time and memory to report.
    pub server_pid: Option<u32>,
}

impl LoadConfig {
    /// Returns a configuration with ghz's defaults for everything but what is named.
    pub fn new(
        target: impl Into<String>,
        method: impl Into<String>,
        data: impl Into<String>,
    ) -> Self {
        Self {
            target: target.into(),
            method: method.into(),
            data: data.into(),
            token: None,
            concurrency: 50,
            connections: 1,
            duration: Duration::from_secs(10),
            warmup: Duration::ZERO,
            timeout: Duration::from_secs(20),
            server_pid: None,
        }
    }
}

/// Returns the unary or streaming method named `name` (`/pkg.Service/Method`,
/// `pkg.Service/Method` or `pkg.Service.Method`) in `pool`.
pub fn find_method(pool: &DescriptorPool, name: &str) -> anyhow::Result<MethodDescriptor> {
    let trimmed = name.trim().trim_start_matches('/');
    let (service, method) = trimmed
        .rsplit_once('/')
        .or_else(|| trimmed.rsplit_once('.'))
        .with_context(|| format!("method {name:?} is not pkg.Service/Method"))?;
    let descriptor = pool
        .get_service_by_name(service)
        .with_context(|| format!("no service {service:?} in the descriptor set"))?;
    descriptor
        .methods()
        .find(|m| m.name() == method)
        .with_context(|| format!("service {service} has no method {method:?}"))
}

/// Returns the wire bytes of the input message of `method` written as proto3 JSON in
/// `data`; unknown fields are refused.
pub fn encode_json(method: &MethodDescriptor, data: &str) -> anyhow::Result<Bytes> {
    let mut json = serde_json::Deserializer::from_str(data);
    let message = DynamicMessage::deserialize(method.input(), &mut json).with_context(|| {
        format!(
            "--data is not a valid {} in JSON",
            method.input().full_name()
        )
    })?;
    json.end()
        .context("trailing characters after the JSON request")?;
    Ok(Bytes::from(message.encode_to_vec()))
}

/// Parses a duration such as `10s`, `500ms`, `1.5s`, `2m` or `1h`; a bare number is
/// seconds.
pub fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .with_context(|| format!("bad duration {text:?}"))?;
    let seconds = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "us" | "µs" => value / 1_000_000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        other => anyhow::bail!("bad duration unit {other:?} in {text:?} (ms, s, m or h)"),
    };
    anyhow::ensure!(
        seconds.is_finite() && seconds >= 0.0,
        "bad duration {text:?}"
    );
    Ok(Duration::from_secs_f64(seconds))
}

/// Returns the canonical name of a gRPC code (`NOT_FOUND`).
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// What one worker saw.
struct WorkerStats {
    latency: Histogram<u64>,
    codes: [u64; 17],
}

impl WorkerStats {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            latency: new_histogram()?,
            codes: [0; 17],
        })
    }

    /// Records a call started at `sent` that ended with `code`, unless it started
    /// before `record_from` (during the warm-up).
    fn record(&mut self, sent: Instant, record_from: Instant, code: Code) {
        if sent >= record_from {
            let micros = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
            self.latency.saturating_record(micros.max(1));
            if let Some(n) = self.codes.get_mut(code as usize) {
                *n += 1;
            }
        }
    }
}

/// What every worker shares.
#[derive(Clone)]
struct Plan {
    path: PathAndQuery,
    body: Bytes,
    auth: Option<AsciiMetadataValue>,
    record_from: Instant,
    end: Instant,
}

/// Runs the load and returns what it measured.
pub async fn run(config: &LoadConfig) -> anyhow::Result<LoadReport> {
    anyhow::ensure!(config.concurrency >= 1, "--concurrency must be at least 1");
    anyhow::ensure!(config.connections >= 1, "--connections must be at least 1");
    anyhow::ensure!(!config.duration.is_zero(), "--duration must be positive");
    let pool = crate::mock::pool()?;
    let method = find_method(&pool, &config.method)?;
    anyhow::ensure!(
        !method.is_client_streaming() && !method.is_server_streaming(),
        "{} is a streaming method; only unary methods are supported",
        method.full_name()
    );
    let body = encode_json(&method, &config.data)?;
    let path = PathAndQuery::try_from(format!(
        "/{}/{}",
        method.parent_service().full_name(),
        method.name()
    ))?;
    let auth = match config.token.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(token) => Some(
            MetadataValue::try_from(format!("Bearer {token}"))
                .context("the token is not a valid header value")?,
        ),
    };

    let mut channels = Vec::with_capacity(config.connections);
    for _ in 0..config.connections {
        // One Endpoint::connect per channel: each is its own HTTP/2 connection.
        let channel = Endpoint::from_shared(config.target.clone())
            .with_context(|| format!("bad target {:?}", config.target))?
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(5))
            .tcp_nodelay(true)
            .connect()
            .await
            .with_context(|| format!("cannot connect to {}", config.target))?;
        channels.push(channel);
    }

    let started = Instant::now();
    let record_from = started + config.warmup;
    let plan = Plan {
        path,
        body,
        auth,
        record_from,
        end: record_from + config.duration,
    };
    let workers: Vec<_> = (0..config.concurrency)
        .map(|i| {
            let channel = channels[i % channels.len()].clone();
            tokio::spawn(worker(channel, plan.clone()))
        })
        .collect();
    measure(config, workers, record_from, plan.end, config.server_pid).await
}

/// Waits out the warm-up and the recorded window (`record_from` to `end`) while
/// `workers` send, measuring this process's and the server's CPU time over the window,
/// then merges what the workers saw into the report of the run `shape` describes.
async fn measure(
    shape: impl Into<RunShape>,
    workers: Vec<tokio::task::JoinHandle<anyhow::Result<WorkerStats>>>,
    record_from: Instant,
    end: Instant,
    server_pid: Option<u32>,
) -> anyhow::Result<LoadReport> {
    tokio::time::sleep_until(record_from.into()).await;
    let client_cpu_before = proc::cpu_seconds(None)?;
    let server_cpu_before = server_pid.map(|p| proc::cpu_seconds(Some(p))).transpose()?;
    tokio::time::sleep_until(end.into()).await;
    let client_cpu = proc::cpu_seconds(None)? - client_cpu_before;
    let server_cpu = match (server_pid, server_cpu_before) {
        (Some(pid), Some(before)) => Some((pid, proc::cpu_seconds(Some(pid))? - before)),
        _ => None,
    };

    let mut latency = new_histogram()?;
    let mut codes = [0u64; 17];
    for handle in workers {
        let stats = handle.await.context("a load worker failed")??;
        latency
            .add(&stats.latency)
            .context("cannot merge histograms")?;
        for (total, n) in codes.iter_mut().zip(stats.codes) {
            *total += n;
        }
    }
    let server = match server_cpu {
        Some((pid, cpu)) => Some(ServerUsage::measure(pid, cpu, latency.len())?),
        None => None,
    };
    Ok(LoadReport::new(shape, &latency, &codes, client_cpu, server))
}

fn new_histogram() -> anyhow::Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, MAX_LATENCY_US, 3).context("cannot create a histogram")
}

/// Sends calls back to back until the plan ends, recording those started after the
/// warm-up.
async fn worker(channel: Channel, plan: Plan) -> anyhow::Result<WorkerStats> {
    let mut stats = WorkerStats::new()?;
    let mut grpc = tonic::client::Grpc::new(channel);
    loop {
        let mut request = tonic::Request::new(plan.body.clone());
        if let Some(auth) = &plan.auth {
            request.metadata_mut().insert("authorization", auth.clone());
        }
        let sent = Instant::now();
        if sent >= plan.end {
            break;
        }
        let code = match grpc.ready().await {
            Err(_) => Code::Unavailable,
            Ok(()) => match grpc
                .unary::<Bytes, Bytes, _>(request, plan.path.clone(), RawCodec)
                .await
            {
                Ok(_) => Code::Ok,
                Err(status) => status.code(),
            },
        };
        stats.record(sent, plan.record_from, code);
    }
    Ok(stats)
}

/// Returns the counts of every code but OK, by name.
fn non_ok(codes: &[u64; 17]) -> BTreeMap<String, u64> {
    codes
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, n)| **n > 0)
        .map(|(i, n)| (code_name(Code::from_i32(i as i32)).to_owned(), *n))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("3").unwrap(), Duration::from_secs(3));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5d").is_err());
    }

    #[test]
    fn methods_are_found_in_every_spelling() {
        let pool = crate::mock::pool().unwrap();
        for name in [
            "/crm.clients.v1.ClientService/GetClient",
            "crm.clients.v1.ClientService/GetClient",
            "crm.clients.v1.ClientService.GetClient",
        ] {
            assert_eq!(
                find_method(&pool, name).unwrap().full_name(),
                "crm.clients.v1.ClientService.GetClient"
            );
        }
        assert!(find_method(&pool, "/crm.clients.v1.ClientService/Nope").is_err());
        assert!(find_method(&pool, "/crm.nope.v1.X/GetClient").is_err());
    }

    #[test]
    fn json_is_encoded_with_the_input_descriptor() {
        let pool = crate::mock::pool().unwrap();
        let method = find_method(&pool, "crm.clients.v1.ClientService/ListClients").unwrap();
        let bytes = encode_json(
            &method,
            r#"{"pageSize": 5, "status": "CLIENT_STATUS_ACTIVE"}"#,
        )
        .unwrap();
        let expected = crm_proto::clients::v1::ListClientsRequest {
            page_size: 5,
            status: crm_proto::clients::v1::ClientStatus::Active as i32,
            ..Default::default()
        };
        assert_eq!(bytes.as_ref(), expected.encode_to_vec().as_slice());
        assert!(encode_json(&method, r#"{"pageSise": 5}"#).is_err());
        assert!(encode_json(&method, r#"{"pageSize": 5} x"#).is_err());
    }

    #[test]
    fn only_non_ok_codes_are_listed() {
        let mut codes = [0u64; 17];
        codes[0] = 10;
        codes[Code::NotFound as usize] = 2;
        codes[Code::Unauthenticated as usize] = 1;
        let listed = non_ok(&codes);
        assert_eq!(listed.len(), 2);
        assert_eq!(listed["NOT_FOUND"], 2);
        assert_eq!(listed["UNAUTHENTICATED"], 1);
    }
}
