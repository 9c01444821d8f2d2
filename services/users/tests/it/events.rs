//! The events the service publishes through its outbox.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crm_events::consume::{Delivered, Handler, HandlerError, Subscription};
use crm_kit::bootstrap::Deps;
use crm_proto::events::v1 as ev;
use crm_proto::users::v1 as pb;
use futures::future::BoxFuture;
use prost::Message as _;
use sea_orm::DatabaseTransaction;
use tonic::Code;
use uuid::Uuid;

use crate::support::{PASSWORD, stacks_with};

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

impl Collect {
    /// Returns the events seen once there are at least `n`, then a little later, so an
    /// extra event would show too (or what was seen after 5 s).
    async fn wait_for(&self, n: usize) -> Vec<Delivered> {
        for _ in 0..100 {
            if self.0.lock().map(|s| s.len()).unwrap_or_default() >= n {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.0.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// Subscribes `seen` to the bus of the users service being started.
fn subscribe(seen: &Arc<Collect>) -> impl Fn(&mut Deps) + '_ {
    move |deps: &mut Deps| {
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
    }
}

fn sign_up_request(email: &str, name: &str) -> pb::SignUpRequest {
    pb::SignUpRequest {
        email: email.into(),
        password: PASSWORD.into(),
        display_name: name.into(),
        organisation_name: format!("{name} SARL"),
    }
}

/// Each sign-up publishes user.created about the new user (version 1), naming the
/// organisation created with it, with the address and display name and no verification
/// token; a sign-up refused for a taken address publishes nothing.
#[tokio::test]
async fn sign_up_publishes_user_created() {
    let seen = Arc::new(Collect::default());
    for stack in stacks_with(subscribe(&seen)).await {
        if let Ok(mut s) = seen.0.lock() {
            s.clear();
        }
        let email = format!("ada.{}@example.com", Uuid::new_v4().simple());
        let first = stack
            .users()
            .sign_up(sign_up_request(&email, "Ada"))
            .await
            .expect("sign up")
            .into_inner();
        let taken = stack
            .users()
            .sign_up(sign_up_request(&email.to_uppercase(), "Ada bis"))
            .await
            .expect_err("address taken");
        assert_eq!(taken.code(), Code::AlreadyExists);
        let second = stack.sign_up("Grace").await;

        let events = seen.wait_for(2).await;
        let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(types, ["user.created", "user.created"]);
        let user = first.user.expect("user");
        let tokens = first.tokens.expect("tokens");
        let org: Uuid = tokens.organisation_id.parse().expect("organisation");
        assert_eq!(
            (events[0].organisation_id, events[0].aggregate_id.as_str()),
            (org, user.id.as_str())
        );
        assert_eq!(
            (events[1].organisation_id, events[1].aggregate_id.clone()),
            (second.org, second.id.to_string())
        );
        assert!(events.iter().all(|e| e.aggregate_version == 1));
        assert!(events.iter().all(|e| e.traceparent.is_some()));

        let created = ev::UserCreated::decode(events[0].payload.clone()).expect("UserCreated");
        assert_eq!(created.user_id, user.id);
        assert_eq!(created.email, email);
        assert_eq!(created.display_name, "Ada");
        assert_eq!(created.verification_token, "");
        assert_eq!(created.verification_expire_time, None);
        let meta = created.meta.expect("meta");
        assert_eq!(meta.organisation_id, tokens.organisation_id);
        assert_eq!(meta.aggregate_id, user.id);
        assert_eq!(meta.aggregate_version, 1);
        assert_eq!(meta.actor_user_id, user.id);
        assert_eq!(meta.occur_time, user.create_time);
        let other = ev::UserCreated::decode(events[1].payload.clone()).expect("UserCreated");
        assert_eq!(other.email, second.email);
        stack.stop().await;
    }
}

/// A sign-up whose organisation cannot be created (the organisations service is
/// unreachable) commits no account and publishes nothing.
#[tokio::test]
async fn a_failed_sign_up_publishes_nothing() {
    let seen = Arc::new(Collect::default());
    let unreachable = |deps: &mut Deps| {
        deps.config
            .services
            .insert("organisations".into(), "http://127.0.0.1:1".into());
        subscribe(&seen)(deps);
    };
    for stack in stacks_with(unreachable).await {
        let email = format!("lost.{}@example.com", Uuid::new_v4().simple());
        let failed = stack
            .users()
            .sign_up(sign_up_request(&email, "Lost"))
            .await
            .expect_err("no organisations service");
        assert_ne!(failed.code(), Code::Ok);
        assert!(stack.login(&email, PASSWORD).await.is_err());
        assert!(seen.wait_for(1).await.is_empty());
        stack.stop().await;
    }
}
