//! Logging and tracing: JSON logs (or human-readable ones) whose request lines carry the
//! trace id, and OpenTelemetry export over OTLP only when `OTEL_EXPORTER_OTLP_ENDPOINT`
//! is set.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{LogConfig, LogFormat};

/// Flushes pending spans when dropped; keep it alive for the life of the process.
#[derive(Debug, Default)]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown()
        {
            eprintln!("cannot flush traces: {error}");
        }
    }
}

/// Installs the global subscriber for process `name`. Calling it again (several services
/// in one process) leaves the first installation in place.
pub fn init(name: &str, cfg: &LogConfig) -> TelemetryGuard {
    let filter = EnvFilter::try_new(&cfg.filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let endpoint = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty());
    let provider = endpoint.and_then(|_| match otlp_provider(name) {
        Ok(p) => Some(p),
        Err(error) => {
            eprintln!("OTLP export disabled: {error}");
            None
        }
    });
    let otel = provider
        .as_ref()
        .map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer(name.to_owned())));

    let registry = tracing_subscriber::registry().with(filter).with(otel);
    let installed = match cfg.format {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false),
            )
            .try_init(),
        LogFormat::Pretty => registry
            .with(tracing_subscriber::fmt::layer().compact())
            .try_init(),
    };
    if installed.is_ok() {
        if provider.is_some() {
            OTEL_ENABLED.store(true, std::sync::atomic::Ordering::Relaxed);
            opentelemetry::global::set_text_map_propagator(
                opentelemetry_sdk::propagation::TraceContextPropagator::new(),
            );
        }
        TelemetryGuard { provider }
    } else {
        TelemetryGuard::default()
    }
}

fn otlp_provider(name: &str) -> Result<SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .build()?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(name.to_owned())
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}

static OTEL_ENABLED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes `span` a child of the remote span in `headers` (`traceparent`) when spans are
/// exported, so one trace follows a call across services.
pub fn link_remote_parent(span: &tracing::Span, headers: &http::HeaderMap) {
    if !OTEL_ENABLED.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    struct Extractor<'a>(&'a http::HeaderMap);
    impl opentelemetry::propagation::Extractor for Extractor<'_> {
        fn get(&self, key: &str) -> Option<&str> {
            self.0.get(key).and_then(|v| v.to_str().ok())
        }
        fn keys(&self) -> Vec<&str> {
            self.0.keys().map(http::HeaderName::as_str).collect()
        }
    }
    use tracing_opentelemetry::OpenTelemetrySpanExt as _;
    let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&Extractor(headers)));
    let _ = span.set_parent(parent);
}
