//! The outbox and relay against real databases (SQLite, and PostgreSQL with
//! CRM_TEST_DATABASE_URL) and a real NATS JetStream (CRM_TEST_NATS_URL). Without
//! CRM_TEST_NATS_URL these tests say so and return; with it, an unreachable server fails
//! them. Each test uses its own stream and subject prefix.

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, Context};
use crm_events::consume;
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
        crm_events::migration::all()
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
        // Every event reaches each of two durable consumers exactly once.
        for name in ["first", "second"] {
            let counter = Arc::new(Counter::default());
            let subscription = consume::Subscription {
                service: format!("svc{}", Uuid::new_v4().simple()),
                name: name.into(),
                event_types: vec!["client.created".into()],
                max_deliver: 3,
                backoff: vec![Duration::from_millis(100)],
            };
            let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
            let task = tokio::spawn(consume::run(
                live.clone(),
                s.clone(),
                db.db.clone(),
                subscription,
                counter.clone(),
                crm_events::EventMetrics::default(),
                async move {
                    let _ = stop_rx.await;
                },
            ));
            for _ in 0..200 {
                if counter.0.lock().map(|c| c.len()).unwrap_or(0) >= 1000 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            // A little longer, so a duplicate would have time to show.
            tokio::time::sleep(Duration::from_millis(300)).await;
            let _ = stop_tx.send(());
            task.await.expect("join").expect("consumer");
            let mut seen = counter.0.lock().map(|c| c.clone()).unwrap_or_default();
            assert_eq!(seen.len(), 1000, "consumer {name} applied every event");
            seen.sort();
            seen.dedup();
            assert_eq!(seen.len(), 1000, "consumer {name} applied each event once");
        }
        live.delete_stream(&s.name).await.expect("delete stream");
        let _ = live.delete_stream(format!("{}_DLQ", s.name)).await;
    }
}

/// Remembers the ids of the events it applies.
#[derive(Default)]
struct Counter(std::sync::Mutex<Vec<Uuid>>);

impl consume::Handler for Counter {
    fn handle<'a>(
        &'a self,
        _: &'a sea_orm::DatabaseTransaction,
        event: &'a consume::Delivered,
    ) -> BoxFuture<'a, Result<(), consume::HandlerError>> {
        Box::pin(async move {
            if let Ok(mut seen) = self.0.lock() {
                seen.push(event.id);
            }
            Ok(())
        })
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

/// Publishes the oldest batch through a publisher that loses its connection after
/// `limit` events; returns the backlog left.
async fn cut_short(db: &DatabaseConnection, js: &Context, s: &StreamSettings, limit: usize) -> u64 {
    let dying = Relay::new(
        db.clone(),
        Arc::new(DiesAfter {
            inner: JetStreamPublisher::new(js.clone(), s.clone(), "clients"),
            limit,
        }),
    );
    match dying.publish_pending().await {
        Err(RelayError::Publish { acked, .. }) if acked == limit => {}
        other => panic!("expected {limit} acknowledged, got {other:?}"),
    }
    dying.backlog().await.expect("backlog")
}

/// Returns the stream's payloads as text, in order.
async fn payloads(js: &Context, s: &StreamSettings) -> Vec<String> {
    stream_messages(js, s)
        .await
        .iter()
        .map(|m| String::from_utf8_lossy(&m.payload).into_owned())
        .collect()
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
        assert_eq!(cut_short(&db.db, &js, &s, 7).await, 13);
        assert_eq!(drain(&relay(&db.db, &js, &s)).await, 13);
        let versions = payloads(&js, &s).await;
        let expected: Vec<String> = (1..=20).map(|v| format!("one:{v}")).collect();
        assert_eq!(versions, expected);
        js.delete_stream(&s.name).await.expect("delete stream");
    }
}

/// Events written packed (runs of one type, organisation and trace, up to PACK per
/// row) take a few rows, and are published one message each, in order, each with its
/// own id, between the plain rows written before and after.
#[tokio::test]
async fn packed_events_are_published_one_by_one_in_order() {
    use crm_db::Global as _;
    use sea_orm::PaginatorTrait as _;
    let Some(url) = nats_url() else { return };
    let js = js(&url).await;
    for db in databases().await {
        let s = settings();
        ensure_stream(&js, &s).await.expect("stream");
        let org = Uuid::now_v7();
        append(&db.db, event(org, "before", 1))
            .await
            .expect("append");
        let bulk = crm_events::outbox::PACK * 2 + 500;
        let mut events: Vec<NewEvent> = (1..=bulk)
            .map(|v| {
                event(
                    org,
                    "bulk",
                    <i64 as TryFrom<usize>>::try_from(v).expect("version"),
                )
            })
            .collect();
        // Another type in the middle ends one run and starts another.
        let mut other = event(org, "other", 1);
        other.event_type = "client.updated";
        events.insert(10, other);
        let txn = db.db.begin().await.expect("begin");
        crm_events::append_packed(&txn, events)
            .await
            .expect("append packed");
        txn.commit().await.expect("commit");
        append(&db.db, event(org, "after", 1))
            .await
            .expect("append");

        let rows = crm_events::entity::Entity::find_global()
            .count(&db.db)
            .await
            .expect("rows");
        // before; 10 bulk; other; 1,000 + 1,000 + 490 bulk; after.
        assert_eq!(rows, 7, "{:?}", db.backend);
        let relay = relay(&db.db, &js, &s);
        let total = <u64 as TryFrom<usize>>::try_from(bulk).expect("count") + 3;
        assert_eq!(relay.backlog().await.expect("backlog"), total);
        assert_eq!(drain(&relay).await as u64, total);
        assert_eq!(relay.backlog().await.expect("backlog"), 0);

        let messages = stream_messages(&js, &s).await;
        let payloads: Vec<String> = messages
            .iter()
            .map(|m| String::from_utf8_lossy(&m.payload).into_owned())
            .collect();
        let mut expected = vec!["before:1".to_owned()];
        expected.extend((1..=10).map(|v| format!("bulk:{v}")));
        expected.push("other:1".into());
        expected.extend((11..=bulk).map(|v| format!("bulk:{v}")));
        expected.push("after:1".into());
        assert_eq!(payloads, expected, "{:?}", db.backend);
        let h = |m: &async_nats::jetstream::message::StreamMessage, k: &str| {
            m.headers.get(k).map(|v| v.as_str().to_owned())
        };
        let mut ids = std::collections::HashSet::new();
        for (m, payload) in messages.iter().zip(&expected) {
            let (aggregate, version) = payload.split_once(':').expect("aggregate:version");
            assert_eq!(h(m, "ce-aggregateid").as_deref(), Some(aggregate));
            assert_eq!(h(m, "ce-aggregateversion").as_deref(), Some(version));
            assert_eq!(h(m, "ce-subject"), Some(org.to_string()));
            let id = h(m, "ce-id").expect("ce-id");
            assert_eq!(h(m, "Nats-Msg-Id").as_ref(), Some(&id));
            assert!(ids.insert(id), "one id per event");
        }
        let types: Vec<String> = messages.iter().filter_map(|m| h(m, "ce-type")).collect();
        assert_eq!(types[11], "client.updated");
        assert!(types.iter().filter(|t| *t == "client.created").count() == bulk + 2);
        js.delete_stream(&s.name).await.expect("delete stream");
    }
}

/// A packed row acknowledged in part stays unsent and is published again whole: the
/// broker's de-duplication keeps every event once.
#[tokio::test]
async fn a_pack_cut_short_is_published_again_and_kept_once() {
    let Some(url) = nats_url() else { return };
    let js = js(&url).await;
    for db in databases().await {
        let s = settings();
        ensure_stream(&js, &s).await.expect("stream");
        let org = Uuid::now_v7();
        let events: Vec<NewEvent> = (1..=30).map(|v| event(org, "one", v)).collect();
        crm_events::append_packed(&db.db, events)
            .await
            .expect("append packed");
        assert_eq!(cut_short(&db.db, &js, &s, 7).await, 30, "nothing marked");
        assert_eq!(drain(&relay(&db.db, &js, &s)).await, 30);
        let versions = payloads(&js, &s).await;
        let expected: Vec<String> = (1..=30).map(|v| format!("one:{v}")).collect();
        assert_eq!(versions, expected);
        js.delete_stream(&s.name).await.expect("delete stream");
    }
}

/// A packed row that does not hold what it announces stops the relay with an error
/// naming it, before anything of its batch is published or marked.
#[tokio::test]
async fn a_damaged_pack_is_reported_not_skipped() {
    use sea_orm::ActiveValue::{NotSet, Set};
    use sea_orm::EntityTrait as _;
    for db in databases().await {
        let org = Uuid::now_v7();
        let events: Vec<NewEvent> = (1..=3).map(|v| event(org, "one", v)).collect();
        crm_events::append_packed(&db.db, events)
            .await
            .expect("append packed");
        crm_events::entity::Entity::insert(crm_events::entity::ActiveModel {
            seq: NotSet,
            id: Set(Uuid::now_v7()),
            event_type: Set("client.created".into()),
            organisation_id: Set(org),
            aggregate_id: Set("two".into()),
            aggregate_version: Set(1),
            payload: Set(b"not a pack".to_vec()),
            traceparent: Set(None),
            created_at: Set(chrono::Utc::now()),
            sent_at: Set(None),
            packed: Set(Some(2)),
        })
        .exec(&db.db)
        .await
        .expect("insert");
        let published = Arc::new(std::sync::Mutex::new(0_usize));
        let relay = Relay::new(
            db.db.clone(),
            Arc::new(Counts {
                seen: published.clone(),
            }),
        );
        // Both rows fall in one batch: the damaged one stops it before it goes.
        match relay.publish_pending().await {
            Err(RelayError::Damaged(e)) => assert_eq!(e.expected, 2),
            other => panic!("expected a damaged pack, got {other:?}"),
        }
        assert_eq!(*published.lock().expect("count"), 0);
        assert_eq!(relay.backlog().await.expect("backlog"), 5);
    }
}

/// Acknowledges everything, counting.
struct Counts {
    seen: Arc<std::sync::Mutex<usize>>,
}

impl Publisher for Counts {
    fn publish<'a>(&'a self, rows: &'a [crm_events::entity::Model]) -> BoxFuture<'a, Published> {
        Box::pin(async move {
            *self.seen.lock().expect("count") += rows.len();
            Published {
                acked: rows.len(),
                error: None,
            }
        })
    }
}

mod consumers {
    //! Durable consumers: exactly-once effects under redelivery, dead letters.

    use std::sync::Arc;
    use std::time::Duration;

    use crm_events::consume::{self, Delivered, Handler, HandlerError, Outcome, Subscription};
    use futures::future::BoxFuture;
    use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, Statement};
    use uuid::Uuid;

    use super::*;

    /// Records each event it applies in `effects`; fails every event of aggregate "poison".
    struct Recorder;

    impl Handler for Recorder {
        fn handle<'a>(
            &'a self,
            txn: &'a DatabaseTransaction,
            event: &'a Delivered,
        ) -> BoxFuture<'a, Result<(), HandlerError>> {
            Box::pin(async move {
                if event.aggregate_id == "poison" {
                    return Err(HandlerError("cannot digest this one".into()));
                }
                let sql = match txn.get_database_backend() {
                    DbBackend::Postgres => {
                        "INSERT INTO effects (event_id, aggregate_id) VALUES ($1, $2)"
                    }
                    _ => "INSERT INTO effects (event_id, aggregate_id) VALUES (?, ?)",
                };
                txn.execute_raw(Statement::from_sql_and_values(
                    txn.get_database_backend(),
                    sql,
                    [event.id.into(), event.aggregate_id.clone().into()],
                ))
                .await?;
                Ok(())
            })
        }
    }

    async fn effects_table(db: &DatabaseConnection) {
        db.execute_unprepared(
            "CREATE TABLE effects (event_id uuid NOT NULL, aggregate_id text NOT NULL)",
        )
        .await
        .expect("effects table");
    }

    async fn effects(db: &DatabaseConnection) -> Vec<String> {
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT aggregate_id FROM effects ORDER BY aggregate_id",
            ))
            .await
            .expect("effects");
        rows.iter()
            .filter_map(|r| r.try_get::<String>("", "aggregate_id").ok())
            .collect()
    }

    fn sample(aggregate: &str) -> Delivered {
        Delivered {
            id: Uuid::now_v7(),
            event_type: "client.created".into(),
            organisation_id: Uuid::now_v7(),
            aggregate_id: aggregate.into(),
            aggregate_version: 1,
            payload: bytes::Bytes::from_static(b"x"),
            traceparent: None,
        }
    }

    /// Applying the same event twice (a redelivery after a lost ack) changes nothing the
    /// second time, and a failed handler leaves nothing behind.
    #[tokio::test]
    async fn a_redelivered_event_changes_nothing_twice() {
        for db in databases().await {
            effects_table(&db.db).await;
            let event = sample("a");
            let first = consume::apply(&db.db, "test-sub", &Recorder, &event)
                .await
                .expect("apply");
            let second = consume::apply(&db.db, "test-sub", &Recorder, &event)
                .await
                .expect("apply");
            assert_eq!((first, second), (Outcome::Applied, Outcome::Duplicate));
            // Another consumer of the same event applies it for itself.
            let other = consume::apply(&db.db, "other-sub", &Recorder, &event)
                .await
                .expect("apply");
            assert_eq!(other, Outcome::Applied);
            assert!(
                consume::apply(&db.db, "test-sub", &Recorder, &sample("poison"))
                    .await
                    .is_err()
            );
            assert_eq!(effects(&db.db).await, ["a", "a"]);
        }
    }

    /// A batch applies each event in its own savepoint: a failing handler undoes only its
    /// own writes, the rest commit together, and a repeated event is a duplicate.
    #[tokio::test]
    async fn a_batch_isolates_a_failing_event() {
        for db in databases().await {
            effects_table(&db.db).await;
            let a = sample("a");
            let events = vec![a.clone(), sample("poison"), sample("b"), a];
            let outcomes = consume::apply_batch(&db.db, "batch-sub", &Recorder, &events)
                .await
                .expect("batch");
            let summary: Vec<String> = outcomes
                .iter()
                .map(|o| match o {
                    Ok(outcome) => format!("{outcome:?}"),
                    Err(_) => "failed".into(),
                })
                .collect();
            assert_eq!(summary, ["Applied", "failed", "Applied", "Duplicate"]);
            assert_eq!(effects(&db.db).await, ["a", "b"]);
        }
    }

    /// A poison event is dead-lettered (subject and table) after max_deliver attempts,
    /// while the events after it are applied; an event already applied before a restart is
    /// acknowledged without being applied again.
    #[tokio::test]
    async fn poison_events_are_dead_lettered_and_the_rest_flows() {
        let Some(url) = nats_url() else { return };
        let js = js(&url).await;
        for db in databases().await {
            effects_table(&db.db).await;
            let s = settings();
            ensure_stream(&js, &s).await.expect("stream");
            let org = Uuid::now_v7();
            for aggregate in ["before", "poison", "after1", "after2"] {
                append(&db.db, event(org, aggregate, 1))
                    .await
                    .expect("append");
            }
            assert_eq!(drain(&relay(&db.db, &js, &s)).await, 4);

            let subscription = Subscription {
                service: format!("svc{}", Uuid::new_v4().simple()),
                name: "timeline".into(),
                event_types: vec!["client.created".into()],
                max_deliver: 3,
                backoff: vec![
                    Duration::from_millis(100),
                    Duration::from_millis(100),
                    Duration::from_millis(100),
                ],
            };
            // "before" was applied by an earlier run that stopped before acknowledging.
            let before = stream_messages(&js, &s).await.remove(0);
            let before_id = Uuid::parse_str(
                before
                    .headers
                    .get("ce-id")
                    .map(|v| v.as_str())
                    .unwrap_or_default(),
            )
            .expect("id");
            let mut early = sample("before");
            early.id = before_id;
            consume::apply(&db.db, &subscription.durable(), &Recorder, &early)
                .await
                .expect("apply");

            let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
            let task = tokio::spawn(consume::run(
                js.clone(),
                s.clone(),
                db.db.clone(),
                subscription.clone(),
                Arc::new(Recorder),
                crm_events::EventMetrics::default(),
                async move {
                    let _ = stop_rx.await;
                },
            ));
            let mut dead = 0;
            for _ in 0..100 {
                dead = crm_events::entity::dead_letter::Entity::find_global()
                    .all(&db.db)
                    .await
                    .expect("dead letters")
                    .len();
                if dead == 1 && effects(&db.db).await.len() == 3 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let _ = stop_tx.send(());
            task.await.expect("join").expect("consumer");
            assert_eq!(
                effects(&db.db).await,
                ["after1", "after2", "before"],
                "{:?}",
                db.backend
            );
            assert_eq!(dead, 1);
            let letter = &crm_events::entity::dead_letter::Entity::find_global()
                .all(&db.db)
                .await
                .expect("dead letters")[0];
            assert_eq!(letter.attempts, 3);
            assert_eq!(letter.consumer, subscription.durable());
            let dlq = js
                .get_stream(format!("{}_DLQ", s.name))
                .await
                .expect("dlq stream");
            let stored = dlq.get_info().await.expect("info").state.messages;
            assert_eq!(stored, 1);
            let m = dlq.get_raw_message(1).await.expect("dead letter message");
            assert_eq!(
                m.subject.as_str(),
                format!("{}.{}", consume::dlq_prefix(&s), subscription.service)
            );
            js.delete_stream(&s.name).await.expect("delete stream");
            js.delete_stream(format!("{}_DLQ", s.name))
                .await
                .expect("delete dlq");
        }
    }

    use crm_db::Global as _;
}

mod in_process {
    //! The embedded-mode bus: same outbox, same exactly-once rule, no NATS.

    use std::sync::Arc;
    use std::time::Duration;

    use crm_db::Global as _;
    use crm_events::Bus;
    use crm_events::consume::{Delivered, Handler, HandlerError, Subscription};
    use futures::future::BoxFuture;
    use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement};

    use super::*;

    struct Count;

    impl Handler for Count {
        fn handle<'a>(
            &'a self,
            txn: &'a DatabaseTransaction,
            event: &'a Delivered,
        ) -> BoxFuture<'a, Result<(), HandlerError>> {
            Box::pin(async move {
                if event.aggregate_id == "poison" {
                    return Err(HandlerError("no".into()));
                }
                let sql = match txn.get_database_backend() {
                    DbBackend::Postgres => "INSERT INTO seen (aggregate_id) VALUES ($1)",
                    _ => "INSERT INTO seen (aggregate_id) VALUES (?)",
                };
                txn.execute_raw(Statement::from_sql_and_values(
                    txn.get_database_backend(),
                    sql,
                    [event.aggregate_id.clone().into()],
                ))
                .await?;
                Ok(())
            })
        }
    }

    /// Events written in one service's outbox reach another service's handler through the
    /// in-process bus once each, in order; a poison event is dead-lettered; publishing
    /// the same rows again (a crash before they were marked sent) changes nothing.
    #[tokio::test]
    async fn outbox_to_subscriber_without_nats() {
        for backend in crm_db::testing::backends() {
            let consumer_db = crm_db::testing::fresh(backend).await.expect("db");
            let publisher_db = crm_db::testing::fresh(backend).await.expect("db");
            Migrator::up(&consumer_db.db, None).await.expect("migrate");
            Migrator::up(&publisher_db.db, None).await.expect("migrate");
            let bus = Bus::connect(None).await.expect("bus");
            consumer_db
                .db
                .execute_unprepared("CREATE TABLE seen (aggregate_id text NOT NULL)")
                .await
                .expect("table");
            let subscription = Subscription {
                service: "activites".into(),
                name: format!("t{}", Uuid::new_v4().simple()),
                event_types: vec!["client.created".into()],
                max_deliver: 2,
                backoff: vec![Duration::from_millis(10)],
            };
            let _idle = bus.subscribe(
                consumer_db.db.clone(),
                subscription,
                Arc::new(Count),
                Box::pin(async {}),
            );
            let org = Uuid::now_v7();
            for aggregate in ["a", "poison", "b"] {
                append(&publisher_db.db, event(org, aggregate, 1))
                    .await
                    .expect("append");
            }
            let relay = Relay::new(publisher_db.db.clone(), bus.publisher("clients"));
            assert_eq!(drain(&relay).await, 3);
            let rows = crm_events::entity::Entity::find_global()
                .all(&publisher_db.db)
                .await
                .expect("rows");
            let again = bus.publisher("clients").publish(&rows).await;
            assert_eq!(again.acked, 3);
            let seen = consumer_db
                .db
                .query_all_raw(Statement::from_string(
                    consumer_db.db.get_database_backend(),
                    "SELECT aggregate_id FROM seen",
                ))
                .await
                .expect("seen");
            let seen: Vec<String> = seen
                .iter()
                .filter_map(|r| r.try_get("", "aggregate_id").ok())
                .collect();
            assert_eq!(seen, ["a", "b"]);
            let dead = crm_events::entity::dead_letter::Entity::find_global()
                .all(&consumer_db.db)
                .await
                .expect("dead letters");
            assert_eq!(dead.len(), 1);
            assert_eq!(dead[0].attempts, 2);
        }
    }
}

mod broker_restart {
    //! A NATS server of the test's own, stopped and started again under the relay.

    use std::net::TcpListener;
    use std::path::PathBuf;
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    use super::*;

    /// Where the nats-server binary is: CRM_TEST_NATS_SERVER, or the Debian path.
    fn server_binary() -> Option<PathBuf> {
        if let Ok(path) = std::env::var("CRM_TEST_NATS_SERVER") {
            return Some(PathBuf::from(path));
        }
        [
            "/usr/sbin/nats-server",
            "/usr/bin/nats-server",
            "/usr/local/bin/nats-server",
        ]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
    }

    struct Server {
        child: Child,
    }

    impl Server {
        fn start(binary: &PathBuf, port: u16, store: &std::path::Path) -> Self {
            let child = Command::new(binary)
                .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
                .arg(store)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start nats-server");
            let deadline = Instant::now() + Duration::from_secs(10);
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(Instant::now() < deadline, "nats-server did not listen");
                std::thread::sleep(Duration::from_millis(50));
            }
            Self { child }
        }

        fn stop(mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    /// Writes keep committing while the NATS server is stopped; once it is started again
    /// the relay delivers every event, each exactly once.
    #[tokio::test]
    async fn the_broker_stops_and_comes_back() {
        // Runs where the NATS tests run; there, a missing binary is a failure.
        let Some(_) = nats_url() else { return };
        let binary = server_binary().expect("nats-server binary (set CRM_TEST_NATS_SERVER)");
        for db in databases().await {
            let port = TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .expect("free port");
            let store = std::env::temp_dir().join(format!("crm-nats-{}", Uuid::new_v4().simple()));
            std::fs::create_dir_all(&store).expect("store dir");
            let server = Server::start(&binary, port, &store);
            let client = async_nats::ConnectOptions::new()
                .retry_on_initial_connect()
                .connect(format!("nats://127.0.0.1:{port}"))
                .await
                .expect("client");
            let mut js = jetstream::new(client);
            js.set_timeout(Duration::from_millis(500));
            let s = settings();
            ensure_stream(&js, &s).await.expect("stream");
            let relay = relay(&db.db, &js, &s);
            let org = Uuid::now_v7();
            for i in 0..300 {
                append(&db.db, event(org, "a", i + 1))
                    .await
                    .expect("append");
            }
            assert_eq!(drain(&relay).await, 300);

            server.stop();
            for i in 300..600 {
                append(&db.db, event(org, "a", i + 1))
                    .await
                    .expect("writes succeed while NATS is stopped");
            }
            assert!(
                relay.publish_pending().await.is_err(),
                "nothing can be acknowledged"
            );
            assert_eq!(relay.backlog().await.expect("backlog"), 300);

            let _server = Server::start(&binary, port, &store);
            let deadline = Instant::now() + Duration::from_secs(30);
            while relay.backlog().await.expect("backlog") > 0 {
                assert!(
                    Instant::now() < deadline,
                    "the outbox did not drain after NATS came back"
                );
                if relay.publish_pending().await.is_err() {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
            let messages = stream_messages(&js, &s).await;
            let versions: Vec<i64> = messages
                .iter()
                .filter_map(|m| std::str::from_utf8(&m.payload).ok())
                .filter_map(|p| p.strip_prefix("a:"))
                .filter_map(|v| v.parse().ok())
                .collect();
            let expected: Vec<i64> = (1..=600).collect();
            assert_eq!(
                versions, expected,
                "every event once, in order ({:?})",
                db.backend
            );
            let _ = std::fs::remove_dir_all(&store);
        }
    }
}
