//! Drafts: validation, references, updates with a mask, deletion, listing, isolation and
//! who may do what.

use crm_kit::Role;
use crm_proto::clients::v1::ClientKind;
use crm_proto::factures::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::support::*;

/// A draft with every field wrong is refused at once with one violation per field.
#[tokio::test]
async fn every_violation_of_a_draft_is_reported() {
    for env in envs(Stack::Invoices).await {
        let owner = env.organisation(seller_settings()).await;
        let bad = pb::Invoice {
            id: Uuid::now_v7().to_string(),
            client_id: "not-a-uuid".into(),
            contract_id: "nope".into(),
            currency_code: "XYZ".into(),
            lines: vec![
                pb::InvoiceLine {
                    label: String::new(),
                    quantity: 0,
                    unit_price: Some(eur(-5)),
                    vat_category: "normal".into(),
                    ..Default::default()
                },
                pb::InvoiceLine {
                    label: "Prime".into(),
                    quantity: 1,
                    unit_price: None,
                    vat_category: "exempt".into(),
                    service_period_start: Some(date(ymd(2026, 2, 1))),
                    service_period_end: Some(date(ymd(2026, 1, 1))),
                    ..Default::default()
                },
            ],
            service_period_start: Some(date(ymd(2026, 1, 1))),
            ..Default::default()
        };
        let status = env
            .api()
            .create_draft_invoice(env.req(
                owner,
                pb::CreateDraftInvoiceRequest {
                    invoice: Some(bad),
                    request_id: "x".into(),
                },
            ))
            .await
            .expect_err("invalid");
        assert_eq!(status.code(), Code::InvalidArgument, "{:?}", env.backend);
        assert_eq!(
            violation_fields(&status),
            [
                "request_id",
                "invoice.id",
                "invoice.currency_code",
                "invoice.lines[0].label",
                "invoice.lines[0].quantity",
                "invoice.lines[0].unit_price.amount_minor",
                "invoice.lines[0].vat_category",
                "invoice.lines[1].unit_price",
                "invoice.lines[1].service_period_end",
                "invoice.client_id",
                "invoice.contract_id",
                "invoice.service_period_end",
            ]
        );
        // No invoice line means no invoice; nothing billed is no invoice either.
        let client = env.client(owner, ClientKind::Person, None).await;
        for lines in [vec![], vec![line("Offert", 1, 0, "exempt")]] {
            let status = env
                .create_draft(owner, draft_for(&client, lines))
                .await
                .expect_err("no amount");
            assert_eq!(violation_fields(&status), ["invoice.lines"]);
        }
    }
}

/// A draft for a client (or contract) the organisation does not have is NOT_FOUND with
/// the field named, exactly like another organisation's client.
#[tokio::test]
async fn unknown_references_are_not_found() {
    for env in envs(Stack::Invoices).await {
        let owner = env.organisation(seller_settings()).await;
        let other = env.organisation(seller_settings()).await;
        let theirs = env.client(other, ClientKind::Person, None).await;
        for client in [Uuid::now_v7().to_string(), theirs] {
            let status = env
                .create_draft(
                    owner,
                    draft_for(&client, vec![line("Prime", 1, 4_990, "exempt")]),
                )
                .await
                .expect_err("unknown client");
            assert_eq!(status.code(), Code::NotFound);
            assert_eq!(violation_fields(&status), ["invoice.client_id"]);
        }
    }
}

/// A draft has no number; it may change through a field mask and be deleted; once
/// issued it can be neither changed nor deleted.
#[tokio::test]
async fn drafts_change_until_issued_and_are_never_deleted_after() {
    for env in envs(Stack::Invoices).await {
        let owner = env.organisation(seller_settings()).await;
        let client = env.client(owner, ClientKind::Person, None).await;
        let draft = env
            .create_draft(
                owner,
                draft_for(&client, vec![line("Prime", 1, 4_990, "exempt")]),
            )
            .await
            .expect("draft");
        assert_eq!(draft.number, "");
        assert_eq!(draft.status, pb::InvoiceStatus::Draft as i32);
        assert_eq!(amount(&draft.total_excl_vat), 4_990);
        assert!(draft.issue_date.is_none() && draft.total_incl_vat.is_none());

        let updated = env
            .api()
            .update_draft_invoice(env.req(
                owner,
                pb::UpdateDraftInvoiceRequest {
                    invoice: Some(pb::Invoice {
                        id: draft.id.clone(),
                        lines: vec![
                            line("Prime", 2, 4_990, "exempt"),
                            line("Frais", 1, 1_000, "standard"),
                        ],
                        version: draft.version,
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["lines".into()],
                    }),
                },
            ))
            .await
            .expect("update")
            .into_inner()
            .invoice
            .expect("invoice");
        assert_eq!(updated.lines.len(), 2);
        assert_eq!(amount(&updated.total_excl_vat), 10_980);
        assert_eq!(updated.version, draft.version + 1);
        assert_eq!(updated.client_id, client);

        // A stale version is ABORTED; an unknown mask path is INVALID_ARGUMENT.
        let stale = env
            .api()
            .update_draft_invoice(env.req(
                owner,
                pb::UpdateDraftInvoiceRequest {
                    invoice: Some(pb::Invoice {
                        id: draft.id.clone(),
                        lines: vec![line("Prime", 1, 1, "exempt")],
                        version: draft.version,
                        ..Default::default()
                    }),
                    update_mask: None,
                },
            ))
            .await
            .expect_err("stale");
        assert_eq!(stale.code(), Code::Aborted);
        let unknown = env
            .api()
            .update_draft_invoice(env.req(
                owner,
                pb::UpdateDraftInvoiceRequest {
                    invoice: Some(pb::Invoice {
                        id: draft.id.clone(),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["number".into()],
                    }),
                },
            ))
            .await
            .expect_err("mask");
        assert_eq!(violation_fields(&unknown), ["update_mask"]);

        // Deleting a draft removes it.
        let other = env
            .create_draft(
                owner,
                draft_for(&client, vec![line("Prime", 1, 100, "exempt")]),
            )
            .await
            .expect("draft");
        env.api()
            .delete_draft_invoice(env.req(
                owner,
                pb::DeleteDraftInvoiceRequest {
                    invoice_id: other.id.clone(),
                    version: 0,
                },
            ))
            .await
            .expect("delete");
        assert_eq!(
            env.get(owner, &other.id).await.expect_err("gone").code(),
            Code::NotFound
        );

        // Issued: no update, no deletion.
        let issued = env.issue(owner, &draft.id).await.expect("issue");
        let delete = env
            .api()
            .delete_draft_invoice(env.req(
                owner,
                pb::DeleteDraftInvoiceRequest {
                    invoice_id: issued.id.clone(),
                    version: 0,
                },
            ))
            .await
            .expect_err("issued");
        assert_eq!(delete.code(), Code::FailedPrecondition);
        let update = env
            .api()
            .update_draft_invoice(env.req(
                owner,
                pb::UpdateDraftInvoiceRequest {
                    invoice: Some(pb::Invoice {
                        id: issued.id.clone(),
                        lines: vec![line("Prime", 1, 1, "exempt")],
                        ..Default::default()
                    }),
                    update_mask: None,
                },
            ))
            .await
            .expect_err("issued");
        assert_eq!(update.code(), Code::FailedPrecondition);
        assert_eq!(
            env.get(owner, &issued.id).await.expect("kept").number,
            issued.number
        );
    }
}

/// Another organisation's invoice answers NOT_FOUND to every RPC that names it, as a
/// missing one does.
#[tokio::test]
async fn another_organisations_invoice_is_not_found() {
    for env in envs(Stack::Invoices).await {
        let owner = env.organisation(seller_settings()).await;
        let client = env.client(owner, ClientKind::Person, None).await;
        let invoice = env
            .issued(owner, &client, vec![line("Prime", 1, 4_990, "exempt")])
            .await;
        let draft = env
            .create_draft(
                owner,
                draft_for(&client, vec![line("Prime", 1, 4_990, "exempt")]),
            )
            .await
            .expect("draft");
        let stranger = env.organisation(seller_settings()).await;
        let api = env.api();
        let codes = [
            env.get(stranger, &invoice.id).await.map(|_| ()),
            env.issue(stranger, &draft.id).await.map(|_| ()),
            env.credit(stranger, &invoice.id, true, vec![])
                .await
                .map(|_| ()),
            env.pay(stranger.org, &invoice.id, Uuid::now_v7(), 100)
                .await
                .map(|_| ()),
            api.clone()
                .delete_draft_invoice(env.req(
                    stranger,
                    pb::DeleteDraftInvoiceRequest {
                        invoice_id: draft.id.clone(),
                        version: 0,
                    },
                ))
                .await
                .map(|_| ()),
            api.clone()
                .write_off_invoice(env.req(
                    stranger,
                    pb::WriteOffInvoiceRequest {
                        invoice_id: invoice.id.clone(),
                        reason: "perte".into(),
                        version: 0,
                    },
                ))
                .await
                .map(|_| ()),
            api.clone()
                .get_late_penalties(env.req(
                    stranger,
                    pb::GetLatePenaltiesRequest {
                        invoice_id: invoice.id.clone(),
                        as_of: Some(date(today())),
                    },
                ))
                .await
                .map(|_| ()),
            env.get(owner, &Uuid::now_v7().to_string())
                .await
                .map(|_| ()),
        ];
        for (i, result) in codes.into_iter().enumerate() {
            assert_eq!(
                result.expect_err("not found").code(),
                Code::NotFound,
                "call {i}"
            );
        }
        let listed = env
            .api()
            .list_invoices(env.req(stranger, pb::ListInvoicesRequest::default()))
            .await
            .expect("list")
            .into_inner();
        assert!(listed.invoices.is_empty());
    }
}

/// Owners, admins and accountants write invoices; managers, agents and viewers do not;
/// agents read only the invoices of their own clients; RecordPayment is for the mesh.
#[tokio::test]
async fn roles_write_and_agents_see_their_own_clients() {
    for env in envs(Stack::Invoices).await {
        let owner = env.organisation(seller_settings()).await;
        let commercial = env.commercial(owner).await;
        let mine = env
            .client(owner, ClientKind::Person, Some(commercial))
            .await;
        let other = env.client(owner, ClientKind::Person, None).await;
        let accountant = owner.with_role(Role::Accountant);
        let invoice_mine = env
            .issued(accountant, &mine, vec![line("Prime", 1, 4_990, "exempt")])
            .await;
        let invoice_other = env
            .issued(accountant, &other, vec![line("Prime", 1, 4_990, "exempt")])
            .await;

        for role in [Role::Manager, Role::Agent, Role::Viewer] {
            let status = env
                .create_draft(
                    owner.with_role(role),
                    draft_for(&mine, vec![line("Prime", 1, 1, "exempt")]),
                )
                .await
                .expect_err("may not write");
            assert_eq!(status.code(), Code::PermissionDenied, "{role:?}");
        }
        let status = env
            .api()
            .record_payment(env.req(
                owner,
                pb::RecordPaymentRequest {
                    invoice_id: invoice_mine.id.clone(),
                    payment_id: Uuid::now_v7().to_string(),
                    amount: Some(eur(100)),
                    paid_date: Some(date(today())),
                },
            ))
            .await
            .expect_err("internal only");
        assert_eq!(status.code(), Code::PermissionDenied);

        let agent = Member {
            commercial: Some(commercial),
            ..owner.with_role(Role::Agent)
        };
        assert_eq!(
            env.get(agent, &invoice_mine.id).await.expect("own").id,
            invoice_mine.id
        );
        assert_eq!(
            env.get(agent, &invoice_other.id)
                .await
                .expect_err("not theirs")
                .code(),
            Code::NotFound
        );
        let listed = env
            .api()
            .list_invoices(env.req(agent, pb::ListInvoicesRequest::default()))
            .await
            .expect("list")
            .into_inner();
        let ids: Vec<_> = listed.invoices.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(ids, [invoice_mine.id.as_str()]);
        // A viewer reads everything.
        let viewer = owner.with_role(Role::Viewer);
        assert!(env.get(viewer, &invoice_other.id).await.is_ok());
    }
}

/// Lists filter by status, kind and client, page with keyset tokens, and refuse a token
/// issued for other filters.
#[tokio::test]
async fn lists_filter_and_page() {
    for env in envs(Stack::Invoices).await {
        let owner = env.organisation(seller_settings()).await;
        let a = env.client(owner, ClientKind::Person, None).await;
        let b = env.client(owner, ClientKind::Person, None).await;
        for _ in 0..3 {
            env.issued(owner, &a, vec![line("Prime", 1, 100, "exempt")])
                .await;
        }
        env.create_draft(owner, draft_for(&b, vec![line("Prime", 1, 100, "exempt")]))
            .await
            .expect("draft");
        let list = |req: pb::ListInvoicesRequest| {
            let api = env.api();
            let request = env.req(owner, req);
            async move { api.clone().list_invoices(request).await }
        };
        let first = list(pb::ListInvoicesRequest {
            page_size: 2,
            client_id: a.clone(),
            ..Default::default()
        })
        .await
        .expect("page")
        .into_inner();
        assert_eq!(first.invoices.len(), 2);
        assert!(!first.next_page_token.is_empty());
        let second = list(pb::ListInvoicesRequest {
            page_size: 2,
            client_id: a.clone(),
            page_token: first.next_page_token.clone(),
            ..Default::default()
        })
        .await
        .expect("page")
        .into_inner();
        assert_eq!(second.invoices.len(), 1);
        assert!(second.next_page_token.is_empty());
        // Newest first across pages.
        assert!(first.invoices[1].id > second.invoices[0].id);
        let drafts = list(pb::ListInvoicesRequest {
            status: pb::InvoiceStatus::Draft as i32,
            ..Default::default()
        })
        .await
        .expect("drafts")
        .into_inner();
        assert_eq!(drafts.invoices.len(), 1);
        assert_eq!(drafts.invoices[0].client_id, b);
        let notes = list(pb::ListInvoicesRequest {
            kind: pb::InvoiceKind::CreditNote as i32,
            ..Default::default()
        })
        .await
        .expect("notes")
        .into_inner();
        assert!(notes.invoices.is_empty());
        let wrong = list(pb::ListInvoicesRequest {
            page_size: -1,
            status: 42,
            client_id: b.clone(),
            page_token: first.next_page_token.clone(),
            period_start: Some(date(ymd(2026, 2, 1))),
            period_end: Some(date(ymd(2026, 1, 1))),
            ..Default::default()
        })
        .await
        .expect_err("invalid");
        assert_eq!(
            violation_fields(&wrong),
            ["page_size", "status", "period_end", "page_token"]
        );
    }
}

/// Repeating CreateDraftInvoice with the same request_id returns the first draft.
#[tokio::test]
async fn request_ids_make_creation_idempotent() {
    for env in envs(Stack::Invoices).await {
        let owner = env.organisation(seller_settings()).await;
        let client = env.client(owner, ClientKind::Person, None).await;
        let request_id = Uuid::now_v7().to_string();
        let mut ids = Vec::new();
        for _ in 0..2 {
            let created = env
                .api()
                .create_draft_invoice(env.req(
                    owner,
                    pb::CreateDraftInvoiceRequest {
                        invoice: Some(draft_for(&client, vec![line("Prime", 1, 100, "exempt")])),
                        request_id: request_id.clone(),
                    },
                ))
                .await
                .expect("create")
                .into_inner()
                .invoice
                .expect("invoice");
            ids.push(created.id);
        }
        assert_eq!(ids[0], ids[1]);
    }
}
