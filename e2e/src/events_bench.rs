//! `crm-e2e events-bench`: the event backbone's throughput and latency against a real
//! NATS JetStream and a real database: (1) how fast one service's relay empties a full
//! outbox (events/s), (2) the time from commit to a durable consumer applying the event
//! while events are committed at a steady rate (p50/p99).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use crm_events::consume::{Delivered, Handler, HandlerError, Subscription};
use crm_events::jetstream::{JetStreamPublisher, StreamSettings, ensure_stream};
use crm_events::{NewEvent, Relay, append};
use futures::future::BoxFuture;
use hdrhistogram::Histogram;
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use sea_orm_migration::MigratorTrait;
use uuid::Uuid;

/// Arguments of `events-bench`.
#[derive(Debug, Args)]
pub struct EventsBenchArgs {
    /// NATS with JetStream.
    #[arg(long, default_value = "nats://127.0.0.1:4222")]
    nats: String,
    /// PostgreSQL server (a fresh database is created) or empty for a SQLite file.
    #[arg(long, default_value = "")]
    database: String,
    /// Events in the outbox for the publish-rate run.
    #[arg(long, default_value_t = 20_000)]
    events: u32,
    /// Commit rate of the latency run, events per second.
    #[arg(long, default_value_t = 1_000)]
    rate: u32,
    /// Length of the latency run, seconds.
    #[arg(long, default_value_t = 10)]
    seconds: u32,
}

struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn sea_orm_migration::MigrationTrait>> {
        crm_events::migration::all()
    }
}

/// Records, per applied event, the time since its commit (from the UUIDv7 event id).
struct Latency(Mutex<Histogram<u64>>);

impl Handler for Latency {
    fn handle<'a>(
        &'a self,
        _: &'a DatabaseTransaction,
        event: &'a Delivered,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if let Some(ts) = event.id.get_timestamp() {
                let (secs, nanos) = ts.to_unix();
                let committed = Duration::new(secs, nanos);
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                let micros = now.saturating_sub(committed).as_micros() as u64;
                if let Ok(mut h) = self.0.lock() {
                    let _ = h.record(micros.max(1));
                }
            }
            Ok(())
        })
    }
}

fn event(org: Uuid, i: u32) -> NewEvent {
    NewEvent {
        event_type: "client.created",
        organisation_id: org,
        aggregate_id: format!("bench-{}", i % 100),
        aggregate_version: i64::from(i),
        payload: vec![0u8; 200],
        traceparent: None,
    }
}

async fn database(url: &str) -> anyhow::Result<DatabaseConnection> {
    let db = if url.is_empty() {
        let dir =
            std::env::temp_dir().join(format!("crm-events-bench-{}", Uuid::new_v4().simple()));
        crm_db::connect_for_service("bench", None, &dir, 4).await?
    } else {
        let name = format!("bench_{}", Uuid::new_v4().simple());
        crm_db::connect::ensure_postgres_database(url, &name).await?;
        crm_db::connect::open(&crm_db::connect::with_database(url, &name), 16).await?
    };
    Migrator::up(&db, None).await?;
    Ok(db)
}

/// Runs both measurements and prints them.
#[allow(clippy::print_stdout)]
pub async fn run(args: EventsBenchArgs) -> anyhow::Result<()> {
    let client = async_nats::connect(&args.nats).await.context("NATS")?;
    let js = async_nats::jetstream::new(client);
    let tag = Uuid::new_v4().simple().to_string();
    let settings = StreamSettings {
        name: format!("BENCH_{tag}"),
        subject_prefix: format!("bench.{tag}.events"),
        ..StreamSettings::default()
    };
    ensure_stream(&js, &settings)
        .await
        .map_err(|e| anyhow::anyhow!("cannot create the stream: {e}"))?;
    let org = Uuid::now_v7();

    // 1. Publish rate: a full outbox, drained by one relay.
    let db = database(&args.database).await?;
    for chunk in (0..args.events).collect::<Vec<_>>().chunks(500) {
        let txn = crm_db::begin_write(&db).await?;
        for i in chunk {
            append(&txn, event(org, *i)).await?;
        }
        txn.commit().await?;
    }
    let relay = Relay::new(
        db.clone(),
        Arc::new(JetStreamPublisher::new(
            js.clone(),
            settings.clone(),
            "bench",
        )),
    );
    let started = Instant::now();
    let mut published = 0usize;
    loop {
        let n = relay.publish_pending().await?;
        if n == 0 {
            break;
        }
        published += n;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "publish rate: {published} events in {elapsed:.2} s = {:.0} events/s (one relay, batches of 256, 200-byte payloads)",
        published as f64 / elapsed
    );

    js.delete_stream(&settings.name).await?;

    // 2. Commit-to-consumer latency at a steady rate, through a durable JetStream consumer,
    // on a stream and outbox of its own so only the events of this run are measured.
    let tag = Uuid::new_v4().simple().to_string();
    let settings = StreamSettings {
        name: format!("BENCH_{tag}"),
        subject_prefix: format!("bench.{tag}.events"),
        ..StreamSettings::default()
    };
    ensure_stream(&js, &settings)
        .await
        .map_err(|e| anyhow::anyhow!("cannot create the stream: {e}"))?;
    let db = database(&args.database).await?;
    let relay = Relay::new(
        db.clone(),
        Arc::new(JetStreamPublisher::new(
            js.clone(),
            settings.clone(),
            "bench",
        )),
    );
    let consumer_db = database(&args.database).await?;
    let latency = Arc::new(Latency(Mutex::new(Histogram::new(3)?)));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let subscription = Subscription {
        service: "bench".into(),
        name: tag.clone(),
        event_types: vec!["client.created".into()],
        max_deliver: 3,
        backoff: vec![Duration::from_millis(100)],
    };
    // Only events committed from now on count.
    let consumer = {
        let (js, settings, db, latency) = (
            js.clone(),
            settings.clone(),
            consumer_db.clone(),
            latency.clone(),
        );
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            crm_events::consume::run(
                js,
                settings,
                db,
                subscription,
                latency,
                crm_events::EventMetrics::default(),
                async move {
                    let _ = stop.wait_for(|s| *s).await;
                },
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    if let Ok(mut h) = latency.0.lock() {
        h.reset();
    }
    let waker = relay.waker();
    let relay_task = {
        let mut stop = stop_rx.clone();
        tokio::spawn(relay.run(async move {
            let _ = stop.wait_for(|s| *s).await;
        }))
    };
    let interval = Duration::from_secs_f64(1.0 / f64::from(args.rate.max(1)));
    let total = args.rate * args.seconds;
    let mut tick = tokio::time::interval(interval);
    for i in 0..total {
        tick.tick().await;
        let txn = crm_db::begin_write(&db).await?;
        append(&txn, event(org, args.events + i)).await?;
        txn.commit().await?;
        waker.notify_one();
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let seen = latency.0.lock().map(|h| h.len()).unwrap_or(0);
        if seen >= u64::from(total) || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop_tx.send(true);
    let _ = relay_task.await;
    let _ = consumer.await;
    let h = latency
        .0
        .lock()
        .map_err(|_| anyhow::anyhow!("histogram poisoned"))?
        .clone();
    println!(
        "commit to consumer at {} events/s for {} s: {} applied, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        args.rate,
        args.seconds,
        h.len(),
        h.value_at_quantile(0.5) as f64 / 1000.0,
        h.value_at_quantile(0.99) as f64 / 1000.0,
        h.max() as f64 / 1000.0
    );
    js.delete_stream(&settings.name).await?;
    Ok(())
}
