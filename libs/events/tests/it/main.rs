//! The outbox and relay against real databases (SQLite, and PostgreSQL with
//! CRM_TEST_DATABASE_URL) and a real NATS JetStream (CRM_TEST_NATS_URL). Without
//! CRM_TEST_NATS_URL these tests say so and return; with it, an unreachable server fails
//! them. Each test uses its own stream and subject prefix.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, Context};
use crm_events::jetstream::{JetStreamPublisher, StreamSettings, ensure_stream};
use crm_events::relay::{Published, Publisher, RelayError};
use crm_events::{NewEvent, Relay, append};
use futures::future::BoxFuture;
use sea_orm::{DatabaseConnection, TransactionTrait};
use sea_orm_migration::prelude::*;
use uuid::Uuid;

struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(crm_events::migration::Migration)]
    }
}

fn nats_url() -> Option<String> {
    let url = std::env::var("CRM_TEST_NATS_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!("CRM_TEST_NATS_URL is not set: JetStream tests not run");
    }
    url
}

async fn databases() -> Vec<crm_db::testing::TestDatabase> {
    let mut out = Vec::new();
    for backend in crm_db::testing::backends() {
        let db = crm_db::testing::fresh(backend).await.expect("database");
        Migrator::up(&db.db, None).await.expect("migrate");
        out.push(db);
    }
    out
}

async fn js(url: &str) -> Context {
    let client = async_nats::connect(url)
        .await
        .expect("NATS named by CRM_TEST_NATS_URL");
    jetstream::new(client)
}

/// A stream of this test's own, removed by `drop_stream`.
fn settings() -> StreamSettings {
    let tag = Uuid::new_v4().simple().to_string();
    StreamSettings {
        name: format!("TEST_{tag}"),
        subject_prefix: format!("test.{tag}.events"),
        max_age: Duration::from_secs(600),
        max_bytes: 64 * 1024 * 1024,
        ..StreamSettings::default()
    }
}

fn event(org: Uuid, aggregate: &str, version: i64) -> NewEvent {
    NewEvent {
        event_type: "client.created",
        organisation_id: org,
        aggregate_id: aggregate.to_owned(),
        aggregate_version: version,
        payload: format!("{aggregate}:{version}").into_bytes(),
        traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into()),
    }
}

async fn stream_messages(
    js: &Context,
    s: &StreamSettings,
) -> Vec<async_nats::jetstream::message::StreamMessage> {
    let stream = js.get_stream(&s.name).await.expect("stream");
    let count = stream.get_info().await.expect("info").state.messages;
    let mut out = Vec::new();
    for seq in 1..=count {
        out.push(stream.get_raw_message(seq).await.expect("message"));
    }
    out
}

async fn drain(relay: &Relay) -> usize {
    let mut total = 0;
    loop {
        let n = relay.publish_pending().await.expect("publish");
        if n == 0 {
            return total;
        }
        total += n;
    }
}

fn relay(db: &DatabaseConnection, js: &Context, s: &StreamSettings) -> Relay {
    Relay::new(
        db.clone(),
        Arc::new(JetStreamPublisher::new(js.clone(), s.clone(), "clients")),
    )
}

/// An event is published if and only if its transaction committed, with the CloudEvents
/// headers and Nats-Msg-Id = event id.
#[tokio::test]
async fn published_if_and_only_if_committed() {
    let Some(url) = nats_url() else { return };
    let js = js(&url).await;
    for db in databases().await {
        let s = settings();
        ensure_stream(&js, &s).await.expect("stream");
        let org = Uuid::now_v7();
        let txn = db.db.begin().await.expect("begin");
        let kept = append(&txn, event(org, "c1", 1)).await.expect("append");
        txn.commit().await.expect("commit");
        let txn = db.db.begin().await.expect("begin");
        append(&txn, event(org, "c2", 1)).await.expect("append");
        txn.rollback().await.expect("rollback");

        let relay = relay(&db.db, &js, &s);
        assert_eq!(relay.backlog().await.expect("backlog"), 1);
        assert_eq!(drain(&relay).await, 1);
        assert_eq!(relay.backlog().await.expect("backlog"), 0);

        let messages = stream_messages(&js, &s).await;
        assert_eq!(messages.len(), 1, "{:?}", db.backend);
        let m = &messages[0];
        assert_eq!(
            m.subject.as_str(),
            format!("{}.client.created", s.subject_prefix)
        );
        assert_eq!(m.payload.as_ref(), b"c1:1");
        let h = |k: &str| m.headers.get(k).map(|v| v.as_str().to_owned());
        assert_eq!(h("ce-specversion").as_deref(), Some("1.0"));
        assert_eq!(h("ce-id"), Some(kept.to_string()));
        assert_eq!(h("Nats-Msg-Id"), Some(kept.to_string()));
        assert_eq!(h("ce-type").as_deref(), Some("client.created"));
        assert_eq!(h("ce-source").as_deref(), Some("crm/clients"));
        assert_eq!(h("ce-subject"), Some(org.to_string()));
        assert!(h("ce-time").is_some());
        assert_eq!(
            h("traceparent").as_deref(),
            Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        );
        js.delete_stream(&s.name).await.expect("delete stream");
    }
}

/// With the broker unreachable, writes keep committing and nothing is marked sent; once
/// it answers, every one of 1,000 events is in the stream exactly once, in order per
/// aggregate.
#[tokio::test]
async fn broker_down_then_up_delivers_everything_once() {
    let Some(url) = nats_url() else { return };
    let live = js(&url).await;
    for db in databases().await {
        let s = settings();
        ensure_stream(&live, &s).await.expect("stream");
        // Nothing listens on port 1: the client keeps trying to connect, and publishes
        // time out instead of being acknowledged.
        let dead_client = async_nats::ConnectOptions::new()
            .retry_on_initial_connect()
            .connect("nats://127.0.0.1:1")
            .await
            .expect("lazy client");
        let mut dead = jetstream::new(dead_client);
        dead.set_timeout(Duration::from_millis(300));
        let down = relay(&db.db, &dead, &s);

        let org = Uuid::now_v7();
        for i in 0..1000 {
            let aggregate = format!("agg{}", i % 10);
            let txn = db.db.begin().await.expect("begin");
            append(&txn, event(org, &aggregate, i64::from(i / 10) + 1))
                .await
                .expect("append");
            txn.commit()
                .await
                .expect("writes succeed while the broker is down");
        }
        match down.publish_pending().await {
            Err(RelayError::Publish { acked: 0, .. }) => {}
            other => panic!("expected a publish failure, got {other:?}"),
        }
        assert_eq!(down.backlog().await.expect("backlog"), 1000);

        let up = relay(&db.db, &live, &s);
        assert_eq!(drain(&up).await, 1000);
        let messages = stream_messages(&live, &s).await;
        assert_eq!(messages.len(), 1000, "{:?}", db.backend);
        let mut ids: Vec<String> = messages
            .iter()
            .filter_map(|m| m.headers.get("ce-id").map(|v| v.as_str().to_owned()))
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 1000, "every event exactly once");
        for agg in 0..10 {
            let versions: Vec<i64> = messages
                .iter()
                .filter_map(|m| std::str::from_utf8(&m.payload).ok())
                .filter_map(|p| p.strip_prefix(&format!("agg{agg}:")))
                .filter_map(|v| v.parse().ok())
                .collect();
            let expected: Vec<i64> = (1..=100).collect();
            assert_eq!(versions, expected, "aggregate agg{agg} in commit order");
        }
        live.delete_stream(&s.name).await.expect("delete stream");
    }
}

/// Acknowledges the first `limit` rows of a batch, then reports a broker failure: a
/// broker that dies in the middle of a batch.
struct DiesAfter {
    inner: JetStreamPublisher,
    limit: usize,
}

impl Publisher for DiesAfter {
    fn publish<'a>(&'a self, rows: &'a [crm_events::entity::Model]) -> BoxFuture<'a, Published> {
        Box::pin(async move {
            let n = rows.len().min(self.limit);
            let mut out = self.inner.publish(&rows[..n]).await;
            if out.error.is_none() && n < rows.len() {
                out.error = Some("connection lost".into());
            }
            out
        })
    }
}

/// A batch cut short marks only its acknowledged prefix sent; publishing again sends the
/// rest, and nothing twice.
#[tokio::test]
async fn a_batch_cut_short_resumes_without_duplicates() {
    let Some(url) = nats_url() else { return };
    let js = js(&url).await;
    for db in databases().await {
        let s = settings();
        ensure_stream(&js, &s).await.expect("stream");
        let org = Uuid::now_v7();
        for v in 1..=20 {
            append(&db.db, event(org, "one", v)).await.expect("append");
        }
        let dying = Relay::new(
            db.db.clone(),
            Arc::new(DiesAfter {
                inner: JetStreamPublisher::new(js.clone(), s.clone(), "clients"),
                limit: 7,
            }),
        );
        match dying.publish_pending().await {
            Err(RelayError::Publish { acked: 7, .. }) => {}
            other => panic!("expected 7 acknowledged, got {other:?}"),
        }
        assert_eq!(dying.backlog().await.expect("backlog"), 13);
        assert_eq!(drain(&relay(&db.db, &js, &s)).await, 13);
        let versions: Vec<String> = stream_messages(&js, &s)
            .await
            .iter()
            .map(|m| String::from_utf8_lossy(&m.payload).into_owned())
            .collect();
        let expected: Vec<String> = (1..=20).map(|v| format!("one:{v}")).collect();
        assert_eq!(versions, expected);
        js.delete_stream(&s.name).await.expect("delete stream");
    }
}
