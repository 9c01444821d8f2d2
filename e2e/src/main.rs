//! The `crm-e2e` command: the mock and live suites, the load generator, and the bench
//! server the load generator is compared against.

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use crm_e2e::bench_server::{BenchKeys, BenchServer, Mode};
use crm_e2e::load::{HttpLoadConfig, HttpVersion, LoadConfig, LoadReport, parse_duration};
use crm_e2e::{Endpoints, events_bench, live, mock};

/// End-to-end suites and a gRPC load generator for the CRM services.
#[derive(Debug, Parser)]
#[command(name = "crm-e2e", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Checks descriptors and generated clients; needs no server.
    Mock,
    /// Runs business flows against the services named by CRM_E2E_USERS_URL,
    /// CRM_E2E_ORGANISATIONS_URL, CRM_E2E_CLIENTS_URL and CRM_E2E_ACTIVITES_URL, and
    /// as JSON through the edge at CRM_E2E_EDGE_URL.
    Live {
        /// Runs the gRPC flows with every call through the edge's port instead.
        #[arg(long)]
        via_edge: bool,
    },
    /// Sends one unary request over and over (ghz-style) and reports throughput,
    /// latency percentiles and codes.
    Load(LoadArgs),
    /// Sends one HTTP request over and over (the JSON edge's GET /v1/clients/{id}, say)
    /// and reports like `load` does, HTTP statuses counted as the gRPC codes they stand
    /// for (2xx OK, 401 UNAUTHENTICATED, 404 NOT_FOUND, other 5xx INTERNAL, …).
    LoadHttp(LoadHttpArgs),
    /// Signs up a fresh user and creates a client (at the CRM_E2E_* URLs); prints
    /// "TOKEN <jwt>" and "CLIENT_ID <id>" for load runs against the real services.
    Seed,
    /// Serves GetClient with a fixed record, bare tonic or through the kit (a benchmark
    /// fixture); prints "TOKEN <jwt>" first.
    BenchServer(BenchServerArgs),
    /// Measures the event backbone: outbox-to-JetStream publish rate, and commit-to-
    /// consumer latency at a steady rate (real NATS and database).
    EventsBench(events_bench::EventsBenchArgs),
    /// Measures the commercial core on running services (CRM_E2E_* URLs): SignContract
    /// at a fixed concurrency, the ImportClients rate, ListClients first and deep pages
    /// in an organisation of many clients.
    CommerceBench(crm_e2e::commerce_bench::CommerceBenchArgs),
}

#[derive(Debug, clap::Args)]
struct LoadArgs {
    /// gRPC URL of the server.
    #[arg(long, default_value = "http://127.0.0.1:50052")]
    target: String,
    /// Method: /package.Service/Method.
    #[arg(long, default_value = "/crm.clients.v1.ClientService/GetClient")]
    method: String,
    /// The request as proto3 JSON.
    #[arg(long, short = 'd', default_value = "{}")]
    data: String,
    /// Bearer token; none when empty.
    #[arg(long, default_value = "", env = "CRM_E2E_TOKEN")]
    token: String,
    /// Calls in flight at once.
    #[arg(long, short = 'c', default_value_t = 64)]
    concurrency: usize,
    /// HTTP/2 connections to spread the calls over.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// How long to record (10s, 500ms, 1m).
    #[arg(long, short = 'z', default_value = "10s", value_parser = parse_duration)]
    duration: std::time::Duration,
    /// How long to send before recording.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    warmup: std::time::Duration,
    /// Deadline of each call.
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    timeout: std::time::Duration,
    /// A server process whose CPU time and memory to report.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Prints one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct LoadHttpArgs {
    /// URL of the resource (cleartext HTTP only).
    #[arg(long)]
    url: String,
    /// Request method (GET, POST, …; any case).
    #[arg(long, default_value = "GET", value_parser = parse_method)]
    method: http::Method,
    /// A JSON request body, sent with content-type application/json.
    #[arg(long, short = 'd')]
    data: Option<String>,
    /// Bearer token; none when empty.
    #[arg(long, default_value = "", env = "CRM_E2E_TOKEN")]
    token: String,
    /// Speaks HTTP/2 with prior knowledge instead of HTTP/1.1 keep-alive.
    #[arg(long)]
    http2: bool,
    /// Requests in flight at once (over HTTP/1.1, one connection each).
    #[arg(long, short = 'c', default_value_t = 64)]
    concurrency: usize,
    /// HTTP/2 connections to spread the requests over (not used over HTTP/1.1).
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// How long to record (10s, 500ms, 1m).
    #[arg(long, short = 'z', default_value = "10s", value_parser = parse_duration)]
    duration: std::time::Duration,
    /// How long to send before recording.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    warmup: std::time::Duration,
    /// Deadline of each request, body included.
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    timeout: std::time::Duration,
    /// A server process whose CPU time and memory to report.
    #[arg(long)]
    server_pid: Option<u32>,
    /// Prints one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct BenchServerArgs {
    /// bare: plain tonic; kit: crm_kit::Server like the real services.
    #[arg(long, value_enum)]
    mode: Mode,
    /// Address to serve gRPC on.
    #[arg(long, default_value = "127.0.0.1:50152")]
    listen: SocketAddr,
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Mock => Ok(suite(mock::scenarios()).await),
        Command::Live { via_edge } => {
            let endpoints = Endpoints::from_env();
            if via_edge {
                let live = live::Live::new(endpoints.via_edge())?;
                Ok(suite(live::scenarios_via_edge(&live)).await)
            } else {
                let live = live::Live::new(endpoints)?;
                Ok(suite(live::scenarios(&live)).await)
            }
        }
        Command::Seed => {
            let seed = live::seed(Endpoints::from_env()).await?;
            let mut out = std::io::stdout();
            writeln!(out, "TOKEN {}", seed.token)?;
            writeln!(out, "ORGANISATION_ID {}", seed.organisation_id)?;
            writeln!(out, "CLIENT_ID {}", seed.client_id)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Load(args) => load(args).await,
        Command::LoadHttp(args) => load_http(args).await,
        Command::BenchServer(args) => bench_server(args).await,
        Command::EventsBench(args) => events_bench::run(args).await.map(|()| ExitCode::SUCCESS),
        Command::CommerceBench(args) => {
            crm_e2e::commerce_bench::run(Endpoints::from_env(), args, &mut std::io::stdout())
                .await
                .map(|()| ExitCode::SUCCESS)
        }
    }
}

async fn suite(runner: crm_e2e::Runner) -> ExitCode {
    let mut out = std::io::stdout();
    let summary = runner.run(&mut out).await;
    if summary.exit_code() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn load(args: LoadArgs) -> anyhow::Result<ExitCode> {
    let config = LoadConfig {
        token: Some(args.token).filter(|t| !t.trim().is_empty()),
        concurrency: args.concurrency,
        connections: args.connections,
        duration: args.duration,
        warmup: args.warmup,
        timeout: args.timeout,
        server_pid: args.server_pid,
        ..LoadConfig::new(args.target, args.method, args.data)
    };
    let report = crm_e2e::load::run(&config).await?;
    print_report(&report, args.json)
}

async fn load_http(args: LoadHttpArgs) -> anyhow::Result<ExitCode> {
    let config = HttpLoadConfig {
        method: args.method,
        body: args.data,
        token: Some(args.token).filter(|t| !t.trim().is_empty()),
        version: if args.http2 {
            HttpVersion::Http2
        } else {
            HttpVersion::Http1
        },
        concurrency: args.concurrency,
        connections: args.connections,
        duration: args.duration,
        warmup: args.warmup,
        timeout: args.timeout,
        server_pid: args.server_pid,
        ..HttpLoadConfig::new(args.url)
    };
    let report = crm_e2e::load::http::run(&config).await?;
    print_report(&report, args.json)
}

/// Parses an HTTP method, upper-casing it first: methods are case-sensitive on the
/// wire, and `--method post` means POST.
fn parse_method(text: &str) -> anyhow::Result<http::Method> {
    Ok(http::Method::from_bytes(
        text.trim().to_ascii_uppercase().as_bytes(),
    )?)
}

/// Prints a load report as text, or as one JSON object when `json`.
fn print_report(report: &LoadReport, json: bool) -> anyhow::Result<ExitCode> {
    let text = if json {
        report.to_json() + "\n"
    } else {
        report.to_text()
    };
    let mut out = std::io::stdout();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

async fn bench_server(args: BenchServerArgs) -> anyhow::Result<ExitCode> {
    let keys = BenchKeys::new()?;
    let mut out = std::io::stdout();
    writeln!(out, "TOKEN {}", keys.token)?;
    out.flush()?;
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    // The kit mode reads its configuration and logs like a real service does.
    let (config, _telemetry) = match args.mode {
        Mode::Kit => {
            let config = crm_kit::KitConfig::load()?;
            let telemetry = crm_kit::telemetry::init(crm_clients::SPEC.name, &config.log);
            (config, Some(telemetry))
        }
        Mode::Bare => (crm_kit::KitConfig::default(), None),
    };
    let server = BenchServer::start(args.mode, listener, &keys, &config).await?;
    writeln!(out, "LISTEN {}", server.addr)?;
    if let Some(admin) = server.admin_addr {
        writeln!(out, "ADMIN {admin}")?;
    }
    out.flush()?;
    server.run_until(crm_kit::shutdown::signal()).await?;
    Ok(ExitCode::SUCCESS)
}
