//! The events the service publishes through its outbox.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crm_events::consume::{Delivered, Handler, HandlerError, Subscription};
use crm_proto::events::v1 as ev;
use crm_proto::products::v1 as pb;
use futures::future::BoxFuture;
use prost::Message as _;
use prost_types::FieldMask;
use sea_orm::DatabaseTransaction;

use crate::support::{Env, Member, date, eur, subscription};

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

/// Creating (with a price), updating, pricing and archiving a product publish
/// product.created, product.updated, product.price_changed and product.updated, in
/// order, with the organisation, aggregate id and versions; refused changes publish
/// nothing.
#[tokio::test]
async fn every_change_publishes_its_event() {
    for db in crm_testkit::each_backend().await.expect("databases") {
        let keys = crm_testkit::Keys::new().expect("keys");
        let deps = crm_testkit::deps::<crm_products::Migrator>(&keys, &db)
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
        let running = crm_testkit::spawn(deps, crm_products::build)
            .await
            .expect("spawn");
        let env = Env {
            keys,
            running,
            backend: db.backend,
        };
        let admin = Member::admin();
        let p = env
            .create_with(
                admin,
                pb::CreateProductRequest {
                    product: Some(subscription("EV")),
                    initial_price: Some(eur(1000)),
                    initial_price_valid_from: Some(date(2020, 1, 1)),
                    ..Default::default()
                },
            )
            .await
            .expect("create");
        // Refused: a duplicate code, a price before the latest start.
        assert!(env.create(admin, subscription("ev")).await.is_err());
        assert!(
            env.set_price(admin, &p.id, 5, date(2019, 1, 1))
                .await
                .is_err()
        );
        env.client()
            .update_product(env.req(
                admin,
                pb::UpdateProductRequest {
                    product: Some(pb::Product {
                        id: p.id.clone(),
                        name: "Nouveau".into(),
                        vat_category: pb::VatCategory::Standard as i32,
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask {
                        paths: vec!["name".into(), "vat_category".into()],
                    }),
                },
            ))
            .await
            .expect("update");
        env.set_price(admin, &p.id, 1250, date(2020, 9, 1))
            .await
            .expect("price");
        env.archive(admin, &p.id).await.expect("archive");

        let mut events = Vec::new();
        for _ in 0..100 {
            events = seen.0.lock().map(|s| s.clone()).unwrap_or_default();
            if events.len() >= 4 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Give a stray fifth event the chance to show up.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let events = seen.0.lock().map(|s| s.clone()).unwrap_or(events);
        let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(
            types,
            [
                "product.created",
                "product.updated",
                "product.price_changed",
                "product.updated"
            ],
            "{:?}",
            env.backend
        );
        let versions: Vec<i64> = events.iter().map(|e| e.aggregate_version).collect();
        assert_eq!(versions, [1, 2, 3, 4]);
        assert!(
            events
                .iter()
                .all(|e| e.organisation_id == admin.org && e.aggregate_id == p.id)
        );
        assert!(events[0].traceparent.is_some());

        let created = ev::ProductCreated::decode(events[0].payload.clone()).expect("created");
        assert_eq!(created.code, "EV");
        assert_eq!(created.vat_category, "exempt");
        assert_eq!(created.kind, ev::ProductKind::Subscription as i32);
        assert_eq!(
            created.billing_frequency,
            ev::BillingFrequency::Monthly as i32
        );
        assert_eq!(created.price, Some(eur(1000)));
        assert_eq!(created.price_valid_from, Some(date(2020, 1, 1)));
        let meta = created.meta.expect("meta");
        assert_eq!(meta.actor_user_id, admin.user.to_string());
        assert_eq!(meta.aggregate_version, 1);

        let updated = ev::ProductUpdated::decode(events[1].payload.clone()).expect("updated");
        assert_eq!(
            updated.update_mask.map(|m| m.paths),
            Some(vec!["name".to_owned(), "vat_category".to_owned()])
        );
        assert_eq!(updated.name, "Nouveau");
        assert_eq!(updated.vat_category, "standard");

        let priced =
            ev::ProductPriceChanged::decode(events[2].payload.clone()).expect("price_changed");
        assert_eq!(priced.code, "EV");
        assert_eq!(priced.price, Some(eur(1250)));
        assert_eq!(priced.valid_from, Some(date(2020, 9, 1)));
        assert_eq!(priced.previous_price, Some(eur(1000)));

        let archived = ev::ProductUpdated::decode(events[3].payload.clone()).expect("archived");
        assert_eq!(
            archived.update_mask.map(|m| m.paths),
            Some(vec!["status".to_owned()])
        );
        assert_eq!(archived.status, ev::ProductStatus::Archived as i32);
        env.running.stop().await.expect("stop");
    }
}
