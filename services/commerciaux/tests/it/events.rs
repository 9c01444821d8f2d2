//! The events the service publishes through its outbox.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crm_events::consume::{Delivered, Handler, HandlerError, Subscription};
use crm_kit::Role;
use crm_proto::events::v1 as ev;
use futures::future::BoxFuture;
use prost::Message as _;
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use crate::support::{Env, Member, commercial};

#[derive(Default)]
struct Collect(Mutex<Vec<Delivered>>);

impl Handler for Collect {
    fn handle<'a>(
        &'a self,
        _: &'a DatabaseTransaction,
        event: &'a Delivered,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if let Ok(mut seen) = self.0.lock() {
                seen.push(event.clone());
            }
            Ok(())
        })
    }
}

/// Creating, moving and deactivating a commercial publish commercial.created,
/// commercial.updated and commercial.deactivated, in order, with the organisation,
/// aggregate id, versions and payloads; refused changes and no-op updates publish
/// nothing.
#[tokio::test]
async fn every_change_publishes_its_event() {
    for db in crm_testkit::each_backend().await.expect("databases") {
        let keys = crm_testkit::Keys::new().expect("keys");
        let deps = crm_testkit::deps::<crm_commerciaux::Migrator>(&keys, &db)
            .await
            .expect("deps");
        let seen = Arc::new(Collect::default());
        let _subscription = deps.bus.subscribe(
            deps.db.clone(),
            Subscription {
                service: "test".into(),
                name: "collect".into(),
                event_types: vec![],
                max_deliver: 1,
                backoff: vec![],
            },
            seen.clone(),
            Box::pin(async {}),
        );
        let running = crm_testkit::spawn(deps, crm_commerciaux::build)
            .await
            .expect("spawn");
        let env = Env {
            keys,
            running,
            backend: db.backend,
        };
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let boss = env.create_under(admin, "BOSS", "").await;
        let mut c = commercial("EV");
        c.hire_date = Some(crm_proto::common::v1::Date {
            year: 2025,
            month: 1,
            day: 6,
        });
        let c = env.create(admin, c).await.expect("create");
        // Refused: a duplicate code, a cycle; and a no-op.
        assert!(env.create(admin, commercial("ev")).await.is_err());
        env.set_manager(admin, &boss.id, &c.id)
            .await
            .expect("boss under EV");
        assert!(env.set_manager(admin, &c.id, &boss.id).await.is_err());
        env.set_manager(admin, &boss.id, &c.id)
            .await
            .expect("no-op");
        env.set_manager(admin, &boss.id, "")
            .await
            .expect("boss back to the top");
        env.set_manager(admin, &c.id, &boss.id).await.expect("move");
        env.deactivate(admin, &c.id).await.expect("deactivate");

        let mut events = Vec::new();
        for _ in 0..100 {
            events = seen.0.lock().map(|s| s.clone()).unwrap_or_default();
            if events.len() >= 6 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let events: Vec<Delivered> = seen.0.lock().map(|s| s.clone()).unwrap_or(events);
        let about_c: Vec<&Delivered> = events.iter().filter(|e| e.aggregate_id == c.id).collect();
        let types: Vec<&str> = about_c.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(
            types,
            [
                "commercial.created",
                "commercial.updated",
                "commercial.deactivated"
            ],
            "{:?}",
            env.backend
        );
        let versions: Vec<i64> = about_c.iter().map(|e| e.aggregate_version).collect();
        assert_eq!(versions, [1, 2, 3]);
        assert_eq!(events.len(), 6, "boss: created, updated twice");
        assert!(events.iter().all(|e| e.organisation_id == admin.org));

        let created =
            ev::CommercialCreated::decode(about_c[0].payload.clone()).expect("CommercialCreated");
        assert_eq!(created.code, "EV");
        assert_eq!(created.name, "Jeanne Agent EV");
        assert_eq!(created.status, ev::CommercialStatus::Active as i32);
        assert_eq!(created.hire_date.map(|d| d.day), Some(6));
        assert_eq!(
            created.meta.map(|m| m.actor_user_id),
            Some(admin.user.to_string())
        );
        let updated =
            ev::CommercialUpdated::decode(about_c[1].payload.clone()).expect("CommercialUpdated");
        assert_eq!(
            updated.update_mask.map(|m| m.paths),
            Some(vec!["manager_commercial_id".to_owned()])
        );
        assert_eq!(updated.manager_commercial_id, boss.id);
        assert!(updated.previous_manager_commercial_id.is_empty());
        let boss_moves: Vec<ev::CommercialUpdated> = events
            .iter()
            .filter(|e| e.aggregate_id == boss.id && e.event_type == "commercial.updated")
            .map(|e| ev::CommercialUpdated::decode(e.payload.clone()).expect("decode"))
            .collect();
        assert_eq!(boss_moves.len(), 2);
        assert_eq!(boss_moves[1].previous_manager_commercial_id, c.id);
        let gone = ev::CommercialDeactivated::decode(about_c[2].payload.clone())
            .expect("CommercialDeactivated");
        assert_eq!(
            (gone.code.as_str(), gone.manager_commercial_id),
            ("EV", boss.id)
        );
        assert!(about_c[0].traceparent.is_some());
        env.running.stop().await.expect("stop");
    }
}
