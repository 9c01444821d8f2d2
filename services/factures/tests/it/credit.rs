//! Credit notes: partial ones reduce the amount due, a full one cancels the invoice,
//! each in the credit-note series and announced; the rules that keep them within the
//! invoice.

use crm_proto::clients::v1::ClientKind;
use crm_proto::events::v1 as ev;
use crm_proto::factures::v1 as pb;
use prost::Message as _;
use tonic::Code;
use uuid::Uuid;

use crate::support::*;

/// A partial credit note reduces the amount due and leaves the invoice issued; a full
/// one credits the rest and cancels it, with credit_note.issued each time and
/// invoice.cancelled once; nothing is deleted.
#[tokio::test]
async fn partial_then_full_credit_notes() {
    for env in envs(Stack::Invoices).await {
        let owner = env.organisation(seller_settings()).await;
        let client = env.client(owner, ClientKind::Person, None).await;
        let invoice = env
            .issued(
                owner,
                &client,
                vec![line("Prestation", 2, 10_000, "standard")],
            )
            .await;
        assert_eq!(amount(&invoice.total_incl_vat), 24_000);

        let partial = env
            .credit(
                owner,
                &invoice.id,
                false,
                vec![line("Remise", 1, 5_000, "standard")],
            )
            .await
            .expect("partial");
        let note = partial.credit_note.expect("credit note");
        let after = partial.invoice.expect("invoice");
        assert_eq!(
            (
                amount(&note.total_excl_vat),
                amount(&note.total_vat),
                amount(&note.total_incl_vat)
            ),
            (5_000, 1_000, 6_000)
        );
        assert_eq!(note.credited_invoice_id, invoice.id);
        assert_eq!(note.credited_invoice_number, invoice.number);
        assert_eq!(note.lines[0].vat_rate_basis_points, 2000);
        assert!(
            note.mentions
                .as_ref()
                .expect("mentions")
                .credited_invoice
                .contains(&invoice.number)
        );
        assert_eq!(after.status, pb::InvoiceStatus::Issued as i32);
        assert_eq!(amount(&after.amount_credited), 6_000);
        assert_eq!(amount(&after.amount_due), 18_000);

        let full = env
            .credit(owner, &invoice.id, true, vec![])
            .await
            .expect("full");
        let rest = full.credit_note.expect("credit note");
        let cancelled = full.invoice.expect("invoice");
        assert_eq!(
            (amount(&rest.total_excl_vat), amount(&rest.total_vat)),
            (15_000, 3_000)
        );
        assert_eq!(
            cancelled.status,
            pb::InvoiceStatus::CancelledByCreditNote as i32
        );
        assert_eq!(amount(&cancelled.amount_due), 0);
        assert_eq!(sequence(&rest.number), sequence(&note.number) + 1);

        let issued_events = env.outbox(owner.org, "credit_note.issued").await;
        let cancels: Vec<bool> = issued_events
            .iter()
            .map(|e| {
                ev::CreditNoteIssued::decode(e.payload.as_slice())
                    .expect("payload")
                    .cancels_invoice
            })
            .collect();
        assert_eq!(cancels, [false, true]);
        let cancelled_events = env.outbox(owner.org, "invoice.cancelled").await;
        assert_eq!(cancelled_events.len(), 1);
        let e =
            ev::InvoiceCancelled::decode(cancelled_events[0].payload.as_slice()).expect("payload");
        assert_eq!(e.credit_note_number, rest.number);

        // Nothing is left: a cancelled invoice is not credited again, and it still exists.
        let again = env
            .credit(owner, &invoice.id, true, vec![])
            .await
            .expect_err("cancelled");
        assert_eq!(again.code(), Code::FailedPrecondition);
        assert_eq!(
            env.get(owner, &invoice.id).await.expect("kept").number,
            invoice.number
        );
        let notes = env
            .api()
            .list_invoices(env.req(
                owner,
                pb::ListInvoicesRequest {
                    kind: pb::InvoiceKind::CreditNote as i32,
                    ..Default::default()
                },
            ))
            .await
            .expect("list")
            .into_inner()
            .invoices;
        assert_eq!(notes.len(), 2);
    }
}

/// A credit note needs exactly one of full and lines, a reason, the invoice's
/// categories and no more than is left; drafts and credit notes are not credited.
#[tokio::test]
async fn credit_notes_stay_within_the_invoice() {
    for env in envs(Stack::Invoices).await {
        let owner = env.organisation(seller_settings()).await;
        let client = env.client(owner, ClientKind::Person, None).await;
        let invoice = env
            .issued(
                owner,
                &client,
                vec![line("Prestation", 1, 10_000, "standard")],
            )
            .await;
        let request = |full: bool, lines: Vec<pb::InvoiceLine>, reason: &str, id: &str| {
            pb::CreateCreditNoteRequest {
                invoice_id: id.into(),
                full,
                lines,
                reason: reason.into(),
                request_id: String::new(),
            }
        };
        let mut api = env.api();
        let both = api
            .create_credit_note(env.req(
                owner,
                request(true, vec![line("x", 1, 1, "standard")], "", "nope"),
            ))
            .await
            .expect_err("invalid");
        assert_eq!(violation_fields(&both), ["invoice_id", "reason", "lines"]);
        let neither = api
            .create_credit_note(env.req(owner, request(false, vec![], "geste", &invoice.id)))
            .await
            .expect_err("invalid");
        assert_eq!(violation_fields(&neither), ["lines"]);
        let category = api
            .create_credit_note(env.req(
                owner,
                request(
                    false,
                    vec![line("x", 1, 100, "reduced")],
                    "geste",
                    &invoice.id,
                ),
            ))
            .await
            .expect_err("category");
        assert_eq!(violation_fields(&category), ["lines[0].vat_category"]);
        let too_much = api
            .create_credit_note(env.req(
                owner,
                request(
                    false,
                    vec![line("x", 1, 10_001, "standard")],
                    "geste",
                    &invoice.id,
                ),
            ))
            .await
            .expect_err("too much");
        assert_eq!(violation_fields(&too_much), ["lines"]);
        let draft = env
            .create_draft(
                owner,
                draft_for(&client, vec![line("Prime", 1, 100, "standard")]),
            )
            .await
            .expect("draft");
        let on_draft = env
            .credit(owner, &draft.id, true, vec![])
            .await
            .expect_err("draft");
        assert_eq!(on_draft.code(), Code::FailedPrecondition);
        let note = env
            .credit(
                owner,
                &invoice.id,
                false,
                vec![line("x", 1, 100, "standard")],
            )
            .await
            .expect("credit")
            .credit_note
            .expect("note");
        let on_note = env
            .credit(owner, &note.id, true, vec![])
            .await
            .expect_err("note");
        assert_eq!(on_note.code(), Code::FailedPrecondition);
        // Nothing was numbered by the refusals: one credit note, number 1.
        assert_eq!(sequence(&note.number), 1);
        // A retried request id returns the first credit note.
        let request_id = Uuid::now_v7().to_string();
        let mut ids = Vec::new();
        for _ in 0..2 {
            let r = api
                .create_credit_note(env.req(
                    owner,
                    pb::CreateCreditNoteRequest {
                        request_id: request_id.clone(),
                        ..request(
                            false,
                            vec![line("x", 1, 100, "standard")],
                            "geste",
                            &invoice.id,
                        )
                    },
                ))
                .await
                .expect("credit")
                .into_inner();
            ids.push(r.credit_note.expect("note").id);
        }
        assert_eq!(ids[0], ids[1]);
    }
}
