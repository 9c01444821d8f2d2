//! The timeline consumer: events published through the bus become system activities,
//! once each.

use crm_db::Global as _;
use crm_events::consume::Subscription;
use crm_proto::activites::v1 as pb;
use crm_proto::events::v1 as ev;
use prost::Message as _;
use sea_orm::QueryFilter as _;
use sea_orm::sea_query::Expr;
use sea_orm_migration::prelude::*;
use uuid::Uuid;

use crate::support::{Member, envs};

/// The outbox tables only: the database of a publishing service.
struct EventsOnly;

#[async_trait::async_trait]
impl MigratorTrait for EventsOnly {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        crm_events::migration::all()
    }
}

/// Publishes every unsent outbox row of `relay` until none is left.
async fn drain(relay: &crm_events::Relay) {
    for _ in 0..20 {
        if relay.publish_pending().await.expect("publish") == 0 {
            return;
        }
    }
    panic!("outbox not drained");
}

/// A client.created committed in the clients outbox and relayed through the bus shows
/// once on the client's timeline as a system activity; relaying the same rows again, or
/// applying the event under another consumer name, adds nothing.
#[tokio::test]
async fn a_client_created_event_shows_once_on_the_timeline() {
    for env in envs().await {
        let admin = Member::admin();
        let client = Uuid::now_v7();
        let actor = Uuid::now_v7();
        let outbox = crm_testkit::fresh(env.backend).await.expect("outbox db");
        crm_db::migrate::<EventsOnly>(&outbox.db)
            .await
            .expect("migrate");
        let payload = ev::ClientCreated {
            meta: Some(ev::EventMeta {
                organisation_id: admin.org.to_string(),
                aggregate_id: client.to_string(),
                aggregate_version: 1,
                occur_time: Some(crate::support::in_days(0)),
                actor_user_id: actor.to_string(),
            }),
            client_id: client.to_string(),
            display_name: "Jeanne Martin".into(),
            ..Default::default()
        };
        let event_id = crm_events::append(
            &outbox.db,
            crm_events::NewEvent {
                event_type: "client.created",
                organisation_id: admin.org,
                aggregate_id: client.to_string(),
                aggregate_version: 1,
                payload: payload.encode_to_vec(),
                traceparent: None,
            },
        )
        .await
        .expect("append");
        let relay = crm_events::Relay::new(outbox.db.clone(), env.bus.publisher("clients"));
        drain(&relay).await;

        let timeline = env.timeline(admin, client).await.expect("timeline");
        assert_eq!(timeline.len(), 1, "{timeline:?}");
        let a = &timeline[0];
        assert_eq!(a.kind, pb::ActivityKind::System as i32);
        assert_eq!(a.body, "client created");
        assert_eq!(a.client_id, client.to_string());
        assert_eq!(a.author_user_id, actor.to_string());
        match &a.details {
            Some(pb::activity::Details::System(s)) => {
                assert_eq!(s.event_type, "client.created");
                assert_eq!(s.event_id, event_id.to_string());
                assert_eq!(s.aggregate_id, client.to_string());
            }
            other => panic!("{other:?}"),
        }
        // Another organisation's timeline of the same client id stays empty.
        assert!(
            env.timeline(Member::admin(), client)
                .await
                .expect("tl")
                .is_empty()
        );

        // The same rows published again: processed_events makes it a no-op.
        crm_events::entity::Entity::update_many_global()
            .col_expr(
                crm_events::entity::Column::SentAt,
                Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
            )
            .exec(&outbox.db)
            .await
            .expect("unsend");
        assert_eq!(relay.backlog().await.expect("backlog"), 1);
        drain(&relay).await;
        assert_eq!(env.timeline(admin, client).await.expect("tl").len(), 1);

        // Under another consumer name the handler runs again; the unique index keeps one.
        let rows = crm_events::entity::Entity::find_global()
            .filter(sea_orm::ColumnTrait::eq(
                &crm_events::entity::Column::Id,
                event_id,
            ))
            .all(&outbox.db)
            .await
            .expect("rows");
        let delivered = crm_events::bus::delivered_from_row(&rows[0]);
        let handler = crm_activites::Timeline::new().expect("handler");
        let outcome = crm_events::consume::apply(&env.db.db, "replay-check", &handler, &delivered)
            .await
            .expect("apply");
        assert_eq!(outcome, crm_events::consume::Outcome::Applied);
        assert_eq!(env.timeline(admin, client).await.expect("tl").len(), 1);
        env.running.stop().await.expect("stop");
    }
}

/// The service subscribes to every event type of the catalogue, with bounded retries.
#[test]
fn the_subscription_covers_the_catalogue() {
    let Subscription {
        service,
        name,
        event_types,
        max_deliver,
        backoff,
    } = crm_activites::subscription();
    assert_eq!(service, "activites");
    assert_eq!(name, "timeline");
    assert_eq!(event_types.len(), crm_proto::EVENT_TYPES.len());
    assert_eq!(max_deliver, 5);
    assert_eq!(backoff.len(), 4);
}
