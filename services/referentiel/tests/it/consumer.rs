//! The organisation.created consumer: a new organisation gets its default lists, once.

use crm_db::Global as _;
use crm_proto::events::v1 as ev;
use prost::Message as _;
use sea_orm::QueryFilter as _;
use sea_orm::sea_query::Expr;
use sea_orm_migration::prelude::*;

use crate::support::{Env, Member, envs};

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

/// Waits until `list` of `who` holds `count` values; returns them.
async fn wait_for(env: &Env, who: Member, list: &str, count: usize) -> Vec<String> {
    for _ in 0..100 {
        let values = env.values(who, list).await.expect("list").values;
        if values.len() >= count {
            return values.into_iter().map(|v| v.code).collect();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{list} never reached {count} values");
}

/// organisation.created relayed through the bus gives the organisation its default
/// lead sources and termination reasons; relaying the same event again adds nothing,
/// and applying it under another consumer name keeps one value per code.
#[tokio::test]
async fn a_new_organisation_gets_default_lists_once() {
    for env in envs().await {
        let admin = Member::admin();
        let outbox = crm_testkit::fresh(env.backend).await.expect("outbox db");
        crm_db::migrate::<EventsOnly>(&outbox.db)
            .await
            .expect("migrate");
        let payload = ev::OrganisationCreated {
            meta: Some(ev::EventMeta {
                organisation_id: admin.org.to_string(),
                aggregate_id: admin.org.to_string(),
                aggregate_version: 1,
                occur_time: None,
                actor_user_id: admin.user.to_string(),
            }),
            name: "ACME".into(),
            country_code: "FR".into(),
            default_currency: "EUR".into(),
            ..Default::default()
        };
        let event_id = crm_events::append(
            &outbox.db,
            crm_events::NewEvent {
                event_type: "organisation.created",
                organisation_id: admin.org,
                aggregate_id: admin.org.to_string(),
                aggregate_version: 1,
                payload: payload.encode_to_vec(),
                traceparent: None,
            },
        )
        .await
        .expect("append");
        let relay = crm_events::Relay::new(outbox.db.clone(), env.bus.publisher("organisations"));
        drain(&relay).await;

        let sources = wait_for(&env, admin, "lead_sources", 7).await;
        assert_eq!(sources[0], "web");
        assert!(sources.contains(&"referral".to_owned()));
        let reasons = wait_for(&env, admin, "termination_reasons", 7).await;
        assert!(reasons.contains(&"non_payment".to_owned()));
        let version = env
            .values(admin, "lead_sources")
            .await
            .expect("list")
            .version;
        assert_eq!(version, "1");
        assert!(
            env.values(Member::admin(), "lead_sources")
                .await
                .expect("other")
                .values
                .is_empty()
        );

        // The same row published again: processed_events makes it a no-op.
        crm_events::entity::Entity::update_many_global()
            .col_expr(
                crm_events::entity::Column::SentAt,
                Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
            )
            .exec(&outbox.db)
            .await
            .expect("unsend");
        drain(&relay).await;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let again = env.values(admin, "lead_sources").await.expect("list");
        assert_eq!((again.values.len(), again.version.as_str()), (7, "1"));

        // Under another consumer name the handler runs again; existing codes stay single.
        let rows = crm_events::entity::Entity::find_global()
            .filter(sea_orm::ColumnTrait::eq(
                &crm_events::entity::Column::Id,
                event_id,
            ))
            .all(&outbox.db)
            .await
            .expect("rows");
        let delivered = crm_events::bus::delivered_from_row(&rows[0]);
        let outcome = crm_events::consume::apply(
            &env.db.db,
            "replay-check",
            &crm_referentiel::TenantDefaults,
            &delivered,
        )
        .await
        .expect("apply");
        assert_eq!(outcome, crm_events::consume::Outcome::Applied);
        assert_eq!(
            env.values(admin, "lead_sources")
                .await
                .expect("list")
                .values
                .len(),
            7
        );
    }
}

/// The consumer listens to organisation.created only, with bounded retries.
#[test]
fn the_subscription_is_organisation_created() {
    let s = crm_referentiel::subscription();
    assert_eq!(
        (s.service.as_str(), s.name.as_str()),
        ("referentiel", "tenant-defaults")
    );
    assert_eq!(s.event_types, ["organisation.created"]);
    assert_eq!(s.max_deliver, 5);
}
