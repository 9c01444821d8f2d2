//! The lifecycle of a contract through every custom method, and every transition the
//! state machine refuses.

use crm_proto::clients::v1::ClientKind;
use crm_proto::contrats::v1 as pb;
use crm_proto::events::v1 as ev;
use prost_types::FieldMask;
use tonic::Code;

use crate::support::{Env, Fixture, date, draft, envs, first_price, line, today};

/// A draft is created, edited, sent, signed, amended, suspended, resumed and terminated;
/// each step moves the status, bumps the version and keeps what came before.
#[tokio::test]
async fn a_contract_goes_through_its_whole_life() {
    for env in envs().await {
        let f = env.fixture().await;
        let c = env.create(f.admin, draft(&f)).await.expect("create");
        assert_eq!(c.status, pb::ContractStatus::Draft as i32);
        assert_eq!(c.version, 1);
        assert!(
            c.number
                .starts_with(&format!("C-{}-", chrono::Datelike::year(&today()))),
            "{}",
            c.number
        );
        assert_eq!(first_price(&c), 4_990, "a draft shows the catalogue price");
        assert_eq!(c.lines[0].vat_category, "exempt");
        assert_eq!(
            c.lines[0].billing_frequency,
            ev::BillingFrequency::Monthly as i32
        );
        assert!(c.lines[0].product_code.starts_with("P-"));

        let updated = env
            .api()
            .update_contract(env.req(
                f.admin,
                pb::UpdateContractRequest {
                    contract: Some(pb::Contract {
                        id: c.id.clone(),
                        term_months: 24,
                        tacit_renewal: false,
                        lines: vec![line(&f.product, 2)],
                        version: 1,
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask {
                        paths: vec!["term_months".into(), "tacit_renewal".into(), "lines".into()],
                    }),
                },
            ))
            .await
            .expect("update")
            .into_inner()
            .contract
            .expect("contract");
        assert_eq!((updated.term_months, updated.tacit_renewal), (24, false));
        assert_eq!(updated.lines[0].quantity, 2);
        assert_eq!(updated.billing_day, 5, "fields outside the mask are kept");
        assert_eq!(updated.version, 2);

        let sent = env.send(f.admin, &c.id).await.expect("send");
        assert_eq!(sent.status, pb::ContractStatus::PendingSignature as i32);
        let signed = env.sign_on(f.admin, &c.id, today()).await.expect("sign");
        assert_eq!(signed.status, pb::ContractStatus::Active as i32);
        assert_eq!(signed.signature_date, Some(date(today())));
        assert_eq!(signed.signer_name, "Jeanne Client");
        assert_eq!(signed.client_kind, ClientKind::Person as i32);
        assert!(signed.renunciation_deadline.is_some());
        assert_eq!(signed.version, 4);

        let other = env.new_product(f.admin, 1_500).await;
        let amended = env
            .api()
            .amend_contract(env.req(
                f.admin,
                pb::AmendContractRequest {
                    contract_id: c.id.clone(),
                    effective_date: Some(date(today())),
                    lines: vec![line(&f.product, 3), line(&other, 1)],
                    billing_day: 10,
                    reason: "ajout d'une garantie".into(),
                    ..Default::default()
                },
            ))
            .await
            .expect("amend")
            .into_inner();
        let a = amended.amendment.expect("amendment");
        assert_eq!(a.sequence, 1);
        assert_eq!(a.changed_fields, ["lines", "billing_day"]);
        let contract = amended.contract.expect("contract");
        assert_eq!(contract.status, pb::ContractStatus::Active as i32);
        assert_eq!(contract.lines.len(), 2);
        assert_eq!(contract.billing_day, 10);
        assert_eq!(contract.amendments.len(), 1);

        let suspended = env
            .api()
            .suspend_contract(env.req(
                f.admin,
                pb::SuspendContractRequest {
                    contract_id: c.id.clone(),
                    reason: "impayé".into(),
                    ..Default::default()
                },
            ))
            .await
            .expect("suspend")
            .into_inner()
            .contract
            .expect("contract");
        assert_eq!(suspended.status, pb::ContractStatus::Suspended as i32);
        assert_eq!(suspended.suspension_reason, "impayé");
        assert_eq!(suspended.suspension_date, Some(date(today())));

        let resumed = env
            .api()
            .resume_contract(env.req(
                f.admin,
                pb::ResumeContractRequest {
                    contract_id: c.id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .expect("resume")
            .into_inner()
            .contract
            .expect("contract");
        assert_eq!(resumed.status, pb::ContractStatus::Active as i32);
        assert!(resumed.suspension_date.is_none());

        let end = today() + chrono::Days::new(90);
        let terminated = env
            .terminate(
                f.admin,
                &c.id,
                ev::TerminationCause::ClientCancellation,
                end,
            )
            .await
            .expect("terminate");
        assert_eq!(terminated.status, pb::ContractStatus::Terminated as i32);
        assert_eq!(terminated.termination_date, Some(date(end)));
        assert_eq!(
            terminated.termination_cause,
            ev::TerminationCause::ClientCancellation as i32
        );
        assert_eq!(terminated.termination_reason, "lettre recommandée");
        assert_eq!(terminated.version, 8);
        assert_eq!(env.get(f.admin, &c.id).await.expect("get"), terminated);
    }
}

/// A draft and a contract pending signature can be cancelled; the reason is kept.
#[tokio::test]
async fn drafts_and_pending_contracts_are_cancelled() {
    for env in envs().await {
        let f = env.fixture().await;
        let a = env.create(f.admin, draft(&f)).await.expect("create");
        let b = env.create(f.admin, draft(&f)).await.expect("create");
        env.send(f.admin, &b.id).await.expect("send");
        for id in [&a.id, &b.id] {
            let c = env
                .api()
                .cancel_contract(env.req(
                    f.admin,
                    pb::CancelContractRequest {
                        contract_id: id.clone(),
                        reason: "le client renonce".into(),
                        version: 0,
                    },
                ))
                .await
                .expect("cancel")
                .into_inner()
                .contract
                .expect("contract");
            assert_eq!(c.status, pb::ContractStatus::Cancelled as i32);
            assert_eq!(c.cancellation_reason, "le client renonce");
        }
    }
}

/// Brings a new contract of `f` to `status`.
async fn contract_in(env: &Env, f: &Fixture, status: pb::ContractStatus) -> pb::Contract {
    use pb::ContractStatus as S;
    let c = env.create(f.admin, draft(f)).await.expect("create");
    if status == S::Draft {
        return c;
    }
    if status == S::Cancelled {
        return env
            .api()
            .cancel_contract(env.req(
                f.admin,
                pb::CancelContractRequest {
                    contract_id: c.id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .expect("cancel")
            .into_inner()
            .contract
            .expect("contract");
    }
    let c = env.send(f.admin, &c.id).await.expect("send");
    if status == S::PendingSignature {
        return c;
    }
    let c = env.sign_on(f.admin, &c.id, today()).await.expect("sign");
    match status {
        S::Suspended => env
            .api()
            .suspend_contract(env.req(
                f.admin,
                pb::SuspendContractRequest {
                    contract_id: c.id.clone(),
                    reason: "test".into(),
                    ..Default::default()
                },
            ))
            .await
            .expect("suspend")
            .into_inner()
            .contract
            .expect("contract"),
        S::Terminated => env
            .terminate(f.admin, &c.id, ev::TerminationCause::Other, today())
            .await
            .expect("terminate"),
        _ => c,
    }
}

/// Calls the method `action` on contract `id`, with valid input.
async fn act(env: &Env, f: &Fixture, action: &str, id: &str) -> Result<(), tonic::Status> {
    let api = env.api();
    let id = id.to_owned();
    let who = f.admin;
    match action {
        "update" => api
            .clone()
            .update_contract(env.req(
                who,
                pb::UpdateContractRequest {
                    contract: Some(pb::Contract {
                        id,
                        billing_day: 7,
                        ..Default::default()
                    }),
                    update_mask: None,
                },
            ))
            .await
            .map(drop),
        "send" => env.send(who, &id).await.map(drop),
        "sign" => env.sign_on(who, &id, today()).await.map(drop),
        "suspend" => api
            .clone()
            .suspend_contract(env.req(
                who,
                pb::SuspendContractRequest {
                    contract_id: id,
                    reason: "test".into(),
                    ..Default::default()
                },
            ))
            .await
            .map(drop),
        "resume" => api
            .clone()
            .resume_contract(env.req(
                who,
                pb::ResumeContractRequest {
                    contract_id: id,
                    ..Default::default()
                },
            ))
            .await
            .map(drop),
        "terminate" => env
            .terminate(who, &id, ev::TerminationCause::Other, today())
            .await
            .map(drop),
        "cancel" => api
            .clone()
            .cancel_contract(env.req(
                who,
                pb::CancelContractRequest {
                    contract_id: id,
                    ..Default::default()
                },
            ))
            .await
            .map(drop),
        _ => api
            .clone()
            .amend_contract(env.req(
                who,
                pb::AmendContractRequest {
                    contract_id: id,
                    effective_date: Some(date(today())),
                    billing_day: 9,
                    ..Default::default()
                },
            ))
            .await
            .map(drop),
    }
}

/// Every method called in a status it does not leave is FAILED_PRECONDITION and changes
/// nothing: 38 refused (status, method) pairs.
#[tokio::test]
async fn every_invalid_transition_is_refused() {
    use pb::ContractStatus as S;
    let allowed: &[(S, &str)] = &[
        (S::Draft, "update"),
        (S::Draft, "send"),
        (S::Draft, "cancel"),
        (S::PendingSignature, "sign"),
        (S::PendingSignature, "cancel"),
        (S::Active, "suspend"),
        (S::Active, "terminate"),
        (S::Active, "amend"),
        (S::Suspended, "resume"),
        (S::Suspended, "terminate"),
    ];
    let actions = [
        "update",
        "send",
        "sign",
        "suspend",
        "resume",
        "terminate",
        "cancel",
        "amend",
    ];
    for env in envs().await {
        let f = env.fixture().await;
        let mut refused = 0;
        for status in [
            S::Draft,
            S::PendingSignature,
            S::Active,
            S::Suspended,
            S::Terminated,
            S::Cancelled,
        ] {
            let c = contract_in(&env, &f, status).await;
            assert_eq!(c.status, status as i32);
            for action in actions {
                if allowed.contains(&(status, action)) {
                    continue;
                }
                let err = act(&env, &f, action, &c.id)
                    .await
                    .expect_err(&format!("{action} on {status:?}"));
                assert_eq!(
                    err.code(),
                    Code::FailedPrecondition,
                    "{action} on {status:?}: {err:?}"
                );
                refused += 1;
            }
            let after = env.get(f.admin, &c.id).await.expect("get");
            assert_eq!(after, c, "a refused change writes nothing ({status:?})");
        }
        assert_eq!(refused, 38);
        // The allowed ones do work from those statuses (checked once each).
        for (status, action) in allowed {
            let c = contract_in(&env, &f, *status).await;
            act(&env, &f, action, &c.id)
                .await
                .unwrap_or_else(|e| panic!("{action} on {status:?}: {e:?}"));
        }
    }
}

/// A stale version is ABORTED, for an update and for a custom method.
#[tokio::test]
async fn stale_versions_are_aborted() {
    for env in envs().await {
        let f = env.fixture().await;
        let c = env.create(f.admin, draft(&f)).await.expect("create");
        env.send(f.admin, &c.id).await.expect("send");
        let err = env
            .api()
            .cancel_contract(env.req(
                f.admin,
                pb::CancelContractRequest {
                    contract_id: c.id.clone(),
                    reason: String::new(),
                    version: 1,
                },
            ))
            .await
            .expect_err("stale");
        assert_eq!(err.code(), Code::Aborted);
        let d = env.create(f.admin, draft(&f)).await.expect("create");
        let err = env
            .api()
            .update_contract(env.req(
                f.admin,
                pb::UpdateContractRequest {
                    contract: Some(pb::Contract {
                        id: d.id.clone(),
                        billing_day: 3,
                        version: 7,
                        ..Default::default()
                    }),
                    update_mask: None,
                },
            ))
            .await
            .expect_err("stale");
        assert_eq!(err.code(), Code::Aborted);
    }
}

/// A repeated request_id returns the contract first created with it, and takes no
/// second number.
#[tokio::test]
async fn retries_with_a_request_id_create_once() {
    for env in envs().await {
        let f = env.fixture().await;
        let request_id = uuid::Uuid::now_v7().to_string();
        let mut ids = Vec::new();
        for _ in 0..2 {
            let c = env
                .api()
                .create_contract(env.req(
                    f.admin,
                    pb::CreateContractRequest {
                        contract: Some(draft(&f)),
                        request_id: request_id.clone(),
                    },
                ))
                .await
                .expect("create")
                .into_inner()
                .contract
                .expect("contract");
            ids.push((c.id, c.number));
        }
        assert_eq!(ids[0], ids[1]);
        let next = env.create(f.admin, draft(&f)).await.expect("create");
        assert!(next.number.ends_with("-000002"), "{}", next.number);
    }
}
