//! The events the service publishes through its outbox.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crm_events::consume::{Delivered, Handler, HandlerError, Subscription};
use crm_kit::Role;
use crm_proto::calendar::v1 as pb;
use crm_proto::events::v1 as ev;
use futures::future::BoxFuture;
use prost::Message as _;
use prost_types::FieldMask;
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use crate::support::{Env, Member, event, ts, utc};

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

/// Creating an event publishes meeting.scheduled and cancelling it meeting.cancelled,
/// with the organisation, the event and its versions; an update publishes nothing (the
/// catalogue has no event for it), and refused changes publish nothing.
#[tokio::test]
async fn meetings_are_published_through_the_outbox() {
    for db in crm_testkit::each_backend().await.expect("databases") {
        let keys = crm_testkit::Keys::new().expect("keys");
        let deps = crm_testkit::deps::<crm_calendar::Migrator>(&keys, &db)
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
        let running = crm_testkit::spawn(deps, crm_calendar::build)
            .await
            .expect("spawn");
        let env = Env { keys, running };
        let owner = Member::new(Uuid::now_v7(), Role::Agent);
        let guest = owner.colleague(Role::Agent);
        let client_id = Uuid::now_v7().to_string();
        let mut input = event("Signing", utc(2026, 3, 30, 7, 0), utc(2026, 3, 30, 8, 0));
        input.client_id = client_id.clone();
        input.attendee_user_ids = vec![guest.user.to_string()];
        let e = env.create_event(owner, input).await.expect("create");
        // Refused: invalid, and not the owner.
        let mut bad = event("Bad", utc(2026, 3, 30, 9, 0), utc(2026, 3, 30, 8, 0));
        bad.time_zone = "Nowhere".into();
        assert!(env.create_event(owner, bad).await.is_err());
        assert!(env.cancel_event(guest, &e.id).await.is_err());
        let req = pb::UpdateEventRequest {
            event: Some(pb::Event {
                id: e.id.clone(),
                start_time: Some(ts(utc(2026, 3, 30, 7, 30))),
                end_time: Some(ts(utc(2026, 3, 30, 8, 30))),
                ..Default::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["start_time".into(), "end_time".into()],
            }),
        };
        env.client()
            .update_event(env.req(owner, req))
            .await
            .expect("update");
        env.cancel_event(owner, &e.id).await.expect("cancel");

        let mut events = Vec::new();
        for _ in 0..100 {
            events = seen.0.lock().map(|s| s.clone()).unwrap_or_default();
            if events.len() >= 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Give a wrongly published extra event the time to show up.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let events = seen.0.lock().map(|s| s.clone()).unwrap_or(events);
        let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(types, ["meeting.scheduled", "meeting.cancelled"]);
        let versions: Vec<i64> = events.iter().map(|e| e.aggregate_version).collect();
        assert_eq!(versions, [1, 3]);
        assert!(
            events
                .iter()
                .all(|x| x.organisation_id == owner.org && x.aggregate_id == e.id)
        );

        let scheduled =
            ev::MeetingScheduled::decode(events[0].payload.clone()).expect("MeetingScheduled");
        assert_eq!(scheduled.meeting_id, e.id);
        assert_eq!(scheduled.owner_user_id, owner.user.to_string());
        assert_eq!(scheduled.title, "Signing");
        assert_eq!(scheduled.client_id, client_id);
        assert_eq!(scheduled.time_zone, "Europe/Paris");
        assert_eq!(scheduled.start_time, Some(ts(utc(2026, 3, 30, 7, 0))));
        assert_eq!(scheduled.end_time, Some(ts(utc(2026, 3, 30, 8, 0))));
        assert_eq!(scheduled.attendee_user_ids, [guest.user.to_string()]);
        let meta = scheduled.meta.expect("meta");
        assert_eq!(meta.actor_user_id, owner.user.to_string());
        assert_eq!(meta.aggregate_version, 1);

        let cancelled =
            ev::MeetingCancelled::decode(events[1].payload.clone()).expect("MeetingCancelled");
        assert_eq!(cancelled.meeting_id, e.id);
        assert_eq!(cancelled.start_time, Some(ts(utc(2026, 3, 30, 7, 30))));
        assert_eq!(cancelled.attendee_user_ids, [guest.user.to_string()]);
        assert_eq!(cancelled.meta.map(|m| m.aggregate_version), Some(3));
        assert!(events[0].traceparent.is_some());
        env.running.stop().await.expect("stop");
        drop(db);
    }
}
