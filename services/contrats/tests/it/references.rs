//! The client, sales agent and products a contract names are checked in their services:
//! at creation (NOT_FOUND for an unknown one, INVALID_ARGUMENT for an unusable one, the
//! BadRequest naming each field) and again at signature (FAILED_PRECONDITION with a
//! PreconditionFailure naming each field).

use crm_proto::clients::v1::ClientKind;
use crm_proto::contrats::v1 as pb;
use crm_proto::events::v1 as ev;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Member, draft, envs, line, precondition_subjects, today, violation_fields};

/// Another organisation's client, agent or product is refused like a missing one.
#[tokio::test]
async fn another_organisations_references_are_unknown() {
    for env in envs().await {
        let mine = env.fixture().await;
        let theirs = env.fixture().await;
        for (field, contract) in [
            (
                "contract.client_id",
                pb::Contract {
                    client_id: theirs.client.clone(),
                    ..draft(&mine)
                },
            ),
            (
                "contract.commercial_id",
                pb::Contract {
                    commercial_id: theirs.commercial.clone(),
                    ..draft(&mine)
                },
            ),
            (
                "contract.lines[0].product_id",
                pb::Contract {
                    lines: vec![line(&theirs.product, 1)],
                    ..draft(&mine)
                },
            ),
            (
                "contract.client_id",
                pb::Contract {
                    client_id: Uuid::now_v7().to_string(),
                    ..draft(&mine)
                },
            ),
        ] {
            let err = env.create(mine.admin, contract).await.expect_err(field);
            assert_eq!(err.code(), Code::NotFound, "{err:?}");
            assert_eq!(violation_fields(&err), [field], "{err:?}");
        }
        let listed = env
            .list(mine.admin, pb::ListContractsRequest::default())
            .await
            .expect("list");
        assert!(listed.contracts.is_empty());
    }
}

/// An archived product cannot go on a new contract, nor be signed on a pending one.
#[tokio::test]
async fn archived_products_are_refused() {
    for env in envs().await {
        let f = env.fixture().await;
        let pending = env.create(f.admin, draft(&f)).await.expect("create");
        env.send(f.admin, &pending.id).await.expect("send");
        env.archive_product(f.admin, &f.product).await;
        let err = env.create(f.admin, draft(&f)).await.expect_err("archived");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(violation_fields(&err), ["contract.lines[0].product_id"]);
        assert!(err.message().contains("archived"), "{err:?}");

        let err = env
            .sign_on(f.admin, &pending.id, today())
            .await
            .expect_err("archived at signature");
        assert_eq!(err.code(), Code::FailedPrecondition, "{err:?}");
        assert_eq!(precondition_subjects(&err), ["lines[0].product_id"]);
        let still = env.get(f.admin, &pending.id).await.expect("get");
        assert_eq!(still.status, pb::ContractStatus::PendingSignature as i32);
    }
}

/// An inactive sales agent gets no new contract, and a pending one is not signed.
#[tokio::test]
async fn inactive_commerciaux_are_refused() {
    for env in envs().await {
        let f = env.fixture().await;
        let pending = env.create(f.admin, draft(&f)).await.expect("create");
        env.send(f.admin, &pending.id).await.expect("send");
        env.deactivate_commercial(f.admin, &f.commercial).await;
        let err = env.create(f.admin, draft(&f)).await.expect_err("inactive");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(violation_fields(&err), ["contract.commercial_id"]);
        let err = env
            .sign_on(f.admin, &pending.id, today())
            .await
            .expect_err("inactive at signature");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(precondition_subjects(&err), ["commercial_id"]);
    }
}

/// An archived client gets no new contract and a pending one is not signed; at
/// signature every unusable reference is listed at once.
#[tokio::test]
async fn signature_lists_every_unusable_reference() {
    for env in envs().await {
        let f = env.fixture().await;
        let mut d = draft(&f);
        d.payment_method = ev::PaymentMethod::Sepa as i32;
        let pending = env.create(f.admin, d).await.expect("create");
        env.send(f.admin, &pending.id).await.expect("send");
        env.archive_client(f.admin, &f.client).await;
        env.archive_product(f.admin, &f.product).await;
        env.deactivate_commercial(f.admin, &f.commercial).await;
        let err = env
            .sign_on(f.admin, &pending.id, today())
            .await
            .expect_err("unusable");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(
            precondition_subjects(&err),
            [
                "client_id",
                "commercial_id",
                "lines[0].product_id",
                "mandate_reference"
            ]
        );
        let err = env.create(f.admin, draft(&f)).await.expect_err("archived");
        assert_eq!(
            violation_fields(&err),
            [
                "contract.client_id",
                "contract.commercial_id",
                "contract.lines[0].product_id"
            ]
        );
    }
}

/// One request with bad fields and bad references gets them all in one answer.
#[tokio::test]
async fn all_violations_are_reported_at_once() {
    for env in envs().await {
        let f = env.fixture().await;
        let other = env.fixture().await;
        let archived = env.new_product(f.admin, 100).await;
        env.archive_product(f.admin, &archived).await;
        let inactive = env.new_commercial(f.admin).await;
        env.deactivate_commercial(f.admin, &inactive).await;
        let contract = pb::Contract {
            client_id: other.client.clone(),
            commercial_id: inactive,
            lines: vec![
                line(&archived, 1),
                line(&Uuid::now_v7().to_string(), 1),
                line(&f.product, 0),
                line("not-a-uuid", 1),
            ],
            start_date: None,
            term_months: 0,
            billing_day: 29,
            payment_method: ev::PaymentMethod::Card as i32,
            mandate_reference: "RUM-1".into(),
            sales_channel: 0,
            ..Default::default()
        };
        let err = env.create(f.admin, contract).await.expect_err("invalid");
        // The unknown client and product make it NOT_FOUND; the details list everything.
        assert_eq!(err.code(), Code::NotFound);
        let mut fields = violation_fields(&err);
        fields.sort();
        let mut expected = vec![
            "contract.client_id",
            "contract.commercial_id",
            "contract.lines[0].product_id",
            "contract.lines[1].product_id",
            "contract.lines[2].quantity",
            "contract.lines[3].product_id",
            "contract.start_date",
            "contract.term_months",
            "contract.billing_day",
            "contract.mandate_reference",
            "contract.sales_channel",
        ];
        expected.sort();
        assert_eq!(fields, expected, "{err:?}");
        assert!(env.outbox(f.admin.org).await.is_empty());
    }
}

/// A SEPA contract is signed only with the reference of an active mandate of its client
/// (the payments service is asked), given at creation or at signature; other payment
/// methods take none.
#[tokio::test]
async fn sepa_contracts_need_a_mandate_reference() {
    for env in envs().await {
        let f = env.fixture().await;
        let mut d = draft(&f);
        d.payment_method = ev::PaymentMethod::Sepa as i32;
        let c = env.create(f.admin, d.clone()).await.expect("create");
        env.send(f.admin, &c.id).await.expect("send");
        let err = env
            .sign_on(f.admin, &c.id, today())
            .await
            .expect_err("no mandate");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert_eq!(precondition_subjects(&err), ["mandate_reference"]);
        // A reference the payments service does not know, another client's mandate: no.
        for (reference, why) in [
            ("RUM-UNKNOWN", "no such mandate in the organisation"),
            ("RUM-OTHER", "the mandate is another client's"),
        ] {
            if reference == "RUM-OTHER" {
                let other = env
                    .new_client(
                        f.admin,
                        crm_proto::clients::v1::ClientKind::Person,
                        &f.commercial,
                    )
                    .await;
                env.new_mandate(f.admin, &other, reference).await;
            }
            let err = env
                .api()
                .sign_contract(env.req(
                    f.admin,
                    pb::SignContractRequest {
                        contract_id: c.id.clone(),
                        signer_name: "Jeanne".into(),
                        mandate_reference: reference.into(),
                        ..Default::default()
                    },
                ))
                .await
                .expect_err(reference);
            assert_eq!(err.code(), Code::FailedPrecondition);
            assert!(format!("{err:?}").contains(why), "{err:?}");
        }
        env.new_mandate(f.admin, &f.client, "RUM-2026-0001").await;
        env.new_mandate(f.admin, &f.client, "RUM-2026-0002").await;
        let signed = env
            .api()
            .sign_contract(env.req(
                f.admin,
                pb::SignContractRequest {
                    contract_id: c.id.clone(),
                    signer_name: "Jeanne".into(),
                    mandate_reference: "RUM-2026-0001".into(),
                    ..Default::default()
                },
            ))
            .await
            .expect("sign with a mandate")
            .into_inner()
            .contract
            .expect("contract");
        assert_eq!(signed.mandate_reference, "RUM-2026-0001");

        d.mandate_reference = "RUM-2026-0002".into();
        let c = env.create(f.admin, d).await.expect("create with mandate");
        env.send(f.admin, &c.id).await.expect("send");
        env.sign_on(f.admin, &c.id, today()).await.expect("sign");

        let card = pb::Contract {
            mandate_reference: "RUM-X".into(),
            ..draft(&f)
        };
        let err = env.create(f.admin, card).await.expect_err("card mandate");
        assert_eq!(violation_fields(&err), ["contract.mandate_reference"]);
        let card = env.create(f.admin, draft(&f)).await.expect("card");
        env.send(f.admin, &card.id).await.expect("send");
        let err = env
            .api()
            .sign_contract(env.req(
                f.admin,
                pb::SignContractRequest {
                    contract_id: card.id.clone(),
                    signer_name: "Jeanne".into(),
                    mandate_reference: "RUM-Y".into(),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("card mandate at signature");
        assert_eq!(violation_fields(&err), ["mandate_reference"]);
    }
}

/// An agent only finds their own clients in the clients service, so a contract for
/// another agent's client names an unknown client.
#[tokio::test]
async fn agents_contract_only_with_their_clients() {
    for env in envs().await {
        let f = env.fixture().await;
        let agent = Member::agent(f.admin.org, &f.commercial);
        let colleague = env.new_commercial(f.admin).await;
        let theirs = env
            .new_client(f.admin, ClientKind::Person, &colleague)
            .await;
        let err = env
            .create(
                agent,
                pb::Contract {
                    client_id: theirs,
                    commercial_id: String::new(),
                    ..draft(&f)
                },
            )
            .await
            .expect_err("not their client");
        assert_eq!(violation_fields(&err), ["contract.client_id"]);
        let mine = env
            .create(
                agent,
                pb::Contract {
                    commercial_id: String::new(),
                    ..draft(&f)
                },
            )
            .await
            .expect("own client");
        assert_eq!(mine.commercial_id, f.commercial);
    }
}
