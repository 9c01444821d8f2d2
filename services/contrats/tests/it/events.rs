//! The events written to the outbox in the transaction of each change, with every field
//! of their messages filled; a refused change writes none; the relay publishes them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crm_events::consume::{Delivered, Handler, HandlerError, Subscription};
use crm_proto::clients::v1::ClientKind;
use crm_proto::contrats::v1 as pb;
use crm_proto::events::v1 as ev;
use futures::future::BoxFuture;
use prost::Message as _;
use sea_orm::DatabaseTransaction;

use crate::support::{date, draft, envs, today};

/// Every transition writes its event, in order, with the organisation, the contract and
/// its version; each message carries the contract's data.
#[tokio::test]
async fn every_transition_writes_its_event() {
    for env in envs().await {
        let f = env.fixture().await;
        let mut d = draft(&f);
        d.payment_method = ev::PaymentMethod::Sepa as i32;
        d.mandate_reference = "RUM-EV-1".into();
        env.new_mandate(f.admin, &f.client, "RUM-EV-1").await;
        let c = env.create(f.admin, d).await.expect("create");
        env.send(f.admin, &c.id).await.expect("send");
        env.sign_on(f.admin, &c.id, today()).await.expect("sign");
        let api = env.api();
        api.clone()
            .amend_contract(env.req(
                f.admin,
                pb::AmendContractRequest {
                    contract_id: c.id.clone(),
                    effective_date: Some(date(today())),
                    billing_day: 15,
                    reason: "jour de prélèvement".into(),
                    ..Default::default()
                },
            ))
            .await
            .expect("amend");
        let dunning = uuid::Uuid::now_v7().to_string();
        api.clone()
            .suspend_contract(env.req(
                f.admin,
                pb::SuspendContractRequest {
                    contract_id: c.id.clone(),
                    reason: "relance".into(),
                    dunning_case_id: dunning.clone(),
                    ..Default::default()
                },
            ))
            .await
            .expect("suspend");
        // A refused change writes nothing.
        assert!(env.send(f.admin, &c.id).await.is_err());
        api.clone()
            .resume_contract(env.req(
                f.admin,
                pb::ResumeContractRequest {
                    contract_id: c.id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .expect("resume");
        env.terminate(f.admin, &c.id, ev::TerminationCause::Unpaid, today())
            .await
            .expect("terminate");
        let other = env.create(f.admin, draft(&f)).await.expect("create");
        api.clone()
            .cancel_contract(env.req(
                f.admin,
                pb::CancelContractRequest {
                    contract_id: other.id.clone(),
                    reason: "doublon".into(),
                    version: 0,
                },
            ))
            .await
            .expect("cancel");

        let rows = env.outbox(f.admin.org).await;
        let seen: Vec<(&str, &str, i64)> = rows
            .iter()
            .map(|r| {
                (
                    r.event_type.as_str(),
                    r.aggregate_id.as_str(),
                    r.aggregate_version,
                )
            })
            .collect();
        let (a, b) = (c.id.as_str(), other.id.as_str());
        assert_eq!(
            seen,
            [
                ("contract.created", a, 1),
                ("contract.signed", a, 3),
                ("contract.amended", a, 4),
                ("contract.suspended", a, 5),
                ("contract.resumed", a, 6),
                ("contract.terminated", a, 7),
                ("contract.created", b, 1),
                ("contract.cancelled", b, 2),
            ]
        );
        assert!(rows.iter().all(|r| r.traceparent.is_some()));
        let payload = |i: usize| rows[i].payload.as_slice();

        let created = ev::ContractCreated::decode(payload(0)).expect("created");
        let meta = created.meta.clone().expect("meta");
        assert_eq!(meta.organisation_id, f.admin.org.to_string());
        assert_eq!(meta.aggregate_id, c.id);
        assert_eq!(meta.aggregate_version, 1);
        assert_eq!(meta.actor_user_id, f.admin.user.to_string());
        assert!(meta.occur_time.is_some());
        assert_eq!(created.number, c.number);
        assert_eq!(
            (created.client_id.as_str(), created.commercial_id.as_str()),
            (f.client.as_str(), f.commercial.as_str())
        );
        assert_eq!(created.lines.len(), 1);
        assert_eq!(created.lines[0].product_id, f.product);
        assert!(!created.lines[0].product_code.is_empty());
        assert_eq!(created.lines[0].vat_category, "exempt");
        assert_eq!(created.start_date, Some(date(today())));
        assert_eq!(
            (
                created.term_months,
                created.tacit_renewal,
                created.billing_day
            ),
            (12, true, 5)
        );
        assert_eq!(created.payment_method, ev::PaymentMethod::Sepa as i32);
        assert_eq!(created.sales_channel, ev::SalesChannel::Distance as i32);

        let signed = ev::ContractSigned::decode(payload(1)).expect("signed");
        assert_eq!(signed.client_kind, ClientKind::Person as i32);
        assert_eq!(signed.signature_date, Some(date(today())));
        assert_eq!(signed.signer_name, "Jeanne Client");
        assert_eq!(signed.mandate_reference, "RUM-EV-1");
        assert_eq!(signed.number, c.number);
        assert_eq!(
            signed.lines[0].unit_price.as_ref().map(|m| m.amount_minor),
            Some(4_990)
        );
        assert_eq!(signed.sales_channel, ev::SalesChannel::Distance as i32);

        let amended = ev::ContractAmended::decode(payload(2)).expect("amended");
        assert!(!amended.amendment_id.is_empty());
        assert_eq!(amended.billing_day, 15);
        assert_eq!(amended.lines.len(), 1);
        assert_eq!(amended.mandate_reference, "RUM-EV-1");
        assert_eq!(amended.effective_date, Some(date(today())));

        let suspended = ev::ContractSuspended::decode(payload(3)).expect("suspended");
        assert_eq!(
            (
                suspended.reason.as_str(),
                suspended.dunning_case_id.as_str()
            ),
            ("relance", dunning.as_str())
        );
        assert_eq!(suspended.client_id, f.client);
        let resumed = ev::ContractResumed::decode(payload(4)).expect("resumed");
        assert_eq!(resumed.effective_date, Some(date(today())));
        let terminated = ev::ContractTerminated::decode(payload(5)).expect("terminated");
        assert_eq!(terminated.cause, ev::TerminationCause::Unpaid as i32);
        assert_eq!(terminated.commercial_id, f.commercial);
        assert_eq!(terminated.reason, "lettre recommandée");
        let cancelled = ev::ContractCancelled::decode(payload(7)).expect("cancelled");
        assert_eq!(
            (cancelled.reason.as_str(), cancelled.number.as_str()),
            ("doublon", other.number.as_str())
        );
    }
}

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

/// The relay started by build() publishes the outbox on the bus.
#[tokio::test]
async fn the_relay_publishes_the_outbox() {
    for db in crm_testkit::each_backend().await.expect("databases") {
        let keys = crm_testkit::Keys::new().expect("keys");
        let deps = crm_testkit::deps::<crm_contrats::Migrator>(&keys, &db)
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
        let running = crm_testkit::spawn(deps, crm_contrats::build)
            .await
            .expect("spawn");
        // An event written the way the service writes them (the outbox is its queue).
        let org = uuid::Uuid::now_v7();
        crm_events::append(
            &db.db,
            crm_events::NewEvent {
                event_type: "contract.cancelled",
                organisation_id: org,
                aggregate_id: uuid::Uuid::now_v7().to_string(),
                aggregate_version: 2,
                payload: ev::ContractCancelled::default().encode_to_vec(),
                traceparent: None,
            },
        )
        .await
        .expect("append");
        let mut delivered = Vec::new();
        for _ in 0..100 {
            delivered = seen.0.lock().map(|s| s.clone()).unwrap_or_default();
            if !delivered.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(delivered.len(), 1);
        assert_eq!(delivered[0].organisation_id, org);
        running.stop().await.expect("stop");
    }
}
