//! Bad input is INVALID_ARGUMENT listing every field at once, for each method.

use crm_proto::common::v1::Date;
use crm_proto::contrats::v1 as pb;
use crm_proto::events::v1 as ev;
use prost_types::FieldMask;
use tonic::Code;

use crate::support::{date, draft, envs, today, violation_fields};

fn bad_date() -> Option<Date> {
    Some(Date {
        year: 2026,
        month: 2,
        day: 30,
    })
}

/// Creation: a missing contract, a given id, an empty draft.
#[tokio::test]
async fn creation_lists_every_violation() {
    for env in envs().await {
        let f = env.fixture().await;
        let err = env
            .api()
            .create_contract(env.req(f.admin, pb::CreateContractRequest::default()))
            .await
            .expect_err("no contract");
        assert_eq!(violation_fields(&err), ["contract"]);
        let err = env
            .api()
            .create_contract(env.req(
                f.admin,
                pb::CreateContractRequest {
                    contract: Some(pb::Contract {
                        id: uuid::Uuid::now_v7().to_string(),
                        ..Default::default()
                    }),
                    request_id: "nope".into(),
                },
            ))
            .await
            .expect_err("empty");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            violation_fields(&err),
            [
                "request_id",
                "contract.id",
                "contract.client_id",
                "contract.commercial_id",
                "contract.lines",
                "contract.start_date",
                "contract.term_months",
                "contract.billing_day",
                "contract.payment_method",
                "contract.sales_channel",
            ]
        );
    }
}

/// Update: unknown mask paths and bad values; the custom methods' own fields.
#[tokio::test]
async fn updates_and_custom_methods_list_every_violation() {
    for env in envs().await {
        let f = env.fixture().await;
        let c = env.create(f.admin, draft(&f)).await.expect("create");
        let err = env
            .api()
            .update_contract(env.req(
                f.admin,
                pb::UpdateContractRequest {
                    contract: Some(pb::Contract {
                        id: c.id.clone(),
                        billing_day: 0,
                        term_months: 999,
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask {
                        paths: vec!["billing_day".into(), "term_months".into(), "number".into()],
                    }),
                },
            ))
            .await
            .expect_err("bad update");
        assert_eq!(
            violation_fields(&err),
            [
                "update_mask.paths[2]",
                "contract.term_months",
                "contract.billing_day"
            ]
        );
        let err = env
            .api()
            .update_contract(env.req(
                f.admin,
                pb::UpdateContractRequest {
                    contract: Some(pb::Contract {
                        id: c.id.clone(),
                        ..Default::default()
                    }),
                    update_mask: None,
                },
            ))
            .await
            .expect_err("nothing to update");
        assert_eq!(violation_fields(&err), ["update_mask"]);

        env.send(f.admin, &c.id).await.expect("send");
        let err = env
            .api()
            .sign_contract(env.req(
                f.admin,
                pb::SignContractRequest {
                    contract_id: "x".into(),
                    signer_name: " ".into(),
                    signature_date: Some(date(today() + chrono::Days::new(2))),
                    mandate_reference: "//".into(),
                    version: 0,
                },
            ))
            .await
            .expect_err("bad signature");
        assert_eq!(
            violation_fields(&err),
            [
                "contract_id",
                "signer_name",
                "signature_date",
                "mandate_reference"
            ]
        );
        let err = env
            .api()
            .suspend_contract(env.req(
                f.admin,
                pb::SuspendContractRequest {
                    contract_id: String::new(),
                    reason: String::new(),
                    effective_date: bad_date(),
                    dunning_case_id: "nope".into(),
                    version: 0,
                },
            ))
            .await
            .expect_err("bad suspension");
        assert_eq!(
            violation_fields(&err),
            ["contract_id", "reason", "effective_date", "dunning_case_id"]
        );
        let err = env
            .api()
            .terminate_contract(env.req(
                f.admin,
                pb::TerminateContractRequest {
                    contract_id: c.id.clone(),
                    termination_date: None,
                    cause: 0,
                    reason: "x".repeat(501),
                    version: 0,
                },
            ))
            .await
            .expect_err("bad termination");
        assert_eq!(
            violation_fields(&err),
            ["termination_date", "cause", "reason"]
        );
        let err = env
            .api()
            .amend_contract(env.req(
                f.admin,
                pb::AmendContractRequest {
                    contract_id: c.id.clone(),
                    effective_date: None,
                    lines: vec![],
                    billing_day: 40,
                    payment_method: 12,
                    update_mask: Some(FieldMask {
                        paths: vec![
                            "lines".into(),
                            "billing_day".into(),
                            "payment_method".into(),
                            "start_date".into(),
                        ],
                    }),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("bad amendment");
        assert_eq!(
            violation_fields(&err),
            [
                "update_mask.paths[3]",
                "effective_date",
                "lines",
                "billing_day",
                "payment_method"
            ]
        );
        let err = env
            .api()
            .resume_contract(env.req(
                f.admin,
                pb::ResumeContractRequest {
                    contract_id: c.id.clone(),
                    effective_date: bad_date(),
                    version: 0,
                },
            ))
            .await
            .expect_err("bad resumption");
        assert_eq!(violation_fields(&err), ["effective_date"]);
        // Switching an active contract to SEPA needs a mandate reference.
        let active = env.active(&f, today()).await;
        let err = env
            .api()
            .amend_contract(env.req(
                f.admin,
                pb::AmendContractRequest {
                    contract_id: active.id.clone(),
                    effective_date: Some(date(today())),
                    payment_method: ev::PaymentMethod::Sepa as i32,
                    ..Default::default()
                },
            ))
            .await
            .expect_err("sepa without mandate");
        assert_eq!(violation_fields(&err), ["mandate_reference"]);
    }
}
