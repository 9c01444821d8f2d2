//! The events the service publishes through its outbox.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crm_events::consume::{Delivered, Handler, HandlerError, Subscription};
use crm_kit::Role;
use crm_proto::clients::v1 as pb;
use crm_proto::events::v1 as ev;
use futures::future::BoxFuture;
use prost::Message as _;
use prost_types::FieldMask;
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use crate::support::{Member, env_with, person};

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

/// Creating, updating, archiving and restoring a client publish client.created,
/// client.updated, client.archived and client.updated, in order, with the organisation,
/// aggregate id and versions; a refused change publishes nothing.
#[tokio::test]
async fn every_change_publishes_its_event() {
    for db in crm_testkit::each_backend().await.expect("databases") {
        let keys = crm_testkit::Keys::new().expect("keys");
        let deps = crm_testkit::deps::<crm_clients::Migrator>(&keys, &db)
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
        let env = env_with(keys, db, deps).await;
        let admin = Member::new(Uuid::now_v7(), Role::Admin);
        let c = env
            .create(admin, person("Ev", "ev@example.fr"))
            .await
            .expect("create");
        assert!(
            env.create(admin, person("Dup", "ev@example.fr"))
                .await
                .is_err()
        );
        env.client()
            .update_client(env.req(
                admin,
                pb::UpdateClientRequest {
                    client: Some(pb::Client {
                        id: c.id.clone(),
                        status: pb::ClientStatus::Active as i32,
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask {
                        paths: vec!["status".into()],
                    }),
                },
            ))
            .await
            .expect("update");
        env.client()
            .archive_client(env.req(
                admin,
                pb::ArchiveClientRequest {
                    client_id: c.id.clone(),
                },
            ))
            .await
            .expect("archive");
        env.client()
            .restore_client(env.req(
                admin,
                pb::RestoreClientRequest {
                    client_id: c.id.clone(),
                },
            ))
            .await
            .expect("restore");

        let mut events = Vec::new();
        for _ in 0..100 {
            events = seen.0.lock().map(|s| s.clone()).unwrap_or_default();
            if events.len() >= 4 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(
            types,
            [
                "client.created",
                "client.updated",
                "client.archived",
                "client.updated"
            ]
        );
        let versions: Vec<i64> = events.iter().map(|e| e.aggregate_version).collect();
        assert_eq!(versions, [1, 2, 3, 4]);
        assert!(
            events
                .iter()
                .all(|e| e.organisation_id == admin.org && e.aggregate_id == c.id)
        );
        let created = ev::ClientCreated::decode(events[0].payload.clone()).expect("ClientCreated");
        assert_eq!(created.email, "ev@example.fr");
        assert_eq!(created.display_name, "Jeanne Ev");
        assert_eq!(
            created.meta.map(|m| m.actor_user_id),
            Some(admin.user.to_string())
        );
        let updated = ev::ClientUpdated::decode(events[1].payload.clone()).expect("ClientUpdated");
        assert_eq!(updated.status, pb::ClientStatus::Active as i32);
        assert_eq!(updated.previous_status, pb::ClientStatus::Prospect as i32);
        assert!(events[0].traceparent.is_some());
        env.running.stop().await.expect("stop");
    }
}
