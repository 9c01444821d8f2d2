//! Issuing: numbering, mandatory mentions, VAT rounding and gapless numbers under
//! concurrency.

use chrono::{Datelike as _, Days};
use crm_proto::clients::v1::ClientKind;
use crm_proto::events::v1 as ev;
use crm_proto::factures::v1 as pb;
use crm_proto::organisations::v1 as org;
use crm_proto::organisations::v1::organisation_service_client::OrganisationServiceClient;
use prost::Message as _;
use tonic::Code;

use crate::support::*;

fn bt1(number: &str) -> bool {
    number.len() <= 35
        && number
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-_/".contains(c))
}

/// Invoices are numbered F-<year>-000001, 000002, … per organisation at issue, credit
/// notes AV-<year>-000001 in their own series, every number within BT-1's rules.
#[tokio::test]
async fn numbers_follow_the_series_format() {
    for env in envs(Stack::Invoices).await {
        let owner = env.organisation(seller_settings()).await;
        let client = env.client(owner, ClientKind::Person, None).await;
        let year = today().year();
        let mut numbers = Vec::new();
        for _ in 0..3 {
            let i = env
                .issued(owner, &client, vec![line("Prime", 1, 4_990, "exempt")])
                .await;
            assert_eq!(i.status, pb::InvoiceStatus::Issued as i32);
            numbers.push(i.number.clone());
        }
        assert_eq!(
            numbers,
            [1, 2, 3].map(|n| format!("F-{year}-{n:06}")),
            "{:?}",
            env.backend
        );
        assert!(numbers.iter().all(|n| bt1(n)));
        let invoices = env
            .api()
            .list_invoices(env.req(owner, pb::ListInvoicesRequest::default()))
            .await
            .expect("list")
            .into_inner()
            .invoices;
        let note = env
            .credit(owner, &invoices[0].id, true, vec![])
            .await
            .expect("credit");
        let note = note.credit_note.expect("credit note");
        assert_eq!(note.number, format!("AV-{year}-000001"));
        assert_eq!(note.kind, pb::InvoiceKind::CreditNote as i32);
        // The next invoice continues its own series.
        let next = env
            .issued(owner, &client, vec![line("Prime", 1, 4_990, "exempt")])
            .await;
        assert_eq!(next.number, format!("F-{year}-000004"));
        // Another organisation counts from 1.
        let other = env.organisation(seller_settings()).await;
        let theirs = env.client(other, ClientKind::Person, None).await;
        let first = env
            .issued(other, &theirs, vec![line("Prime", 1, 100, "exempt")])
            .await;
        assert_eq!(first.number, format!("F-{year}-000001"));
    }
}

/// A B2B invoice carries every mandatory mention: issue and due dates (terms capped at
/// 60 days), number, the seller's and the client's identity, lines with quantity,
/// description and unit price, VAT per rate, totals, terms, the late-penalty rate and
/// the 40 EUR indemnity; invoice.issued says the same.
#[tokio::test]
async fn b2b_invoices_carry_every_mandatory_mention() {
    for env in envs(Stack::Invoices).await {
        let mut settings = seller_settings();
        settings.push(("payment_terms_days".into(), "90".into()));
        let owner = env.organisation(settings).await;
        let client = env.client(owner, ClientKind::Company, None).await;
        let i = env
            .issued(
                owner,
                &client,
                vec![
                    line("Conseil en assurance", 3, 15_000, "standard"),
                    line("Contrat santé", 1, 4_990, "exempt"),
                ],
            )
            .await;
        let day = today();
        assert_eq!(from_date(&i.issue_date), day);
        assert_eq!(
            i.payment_terms_days, 60,
            "90 days asked, 60 at most between professionals"
        );
        assert_eq!(
            from_date(&i.due_date),
            day.checked_add_days(Days::new(60)).expect("date")
        );
        let seller = i.seller.as_ref().expect("seller");
        assert_eq!(seller.legal_name, "Assur Conseil");
        assert_eq!(seller.siren, "732829320");
        assert_eq!(seller.vat_number, "FR44732829320");
        let address = seller.address.as_ref().expect("address");
        assert_eq!(
            (
                address.line1.as_str(),
                address.postal_code.as_str(),
                address.city.as_str()
            ),
            ("12 rue de la Paix", "75002", "Paris")
        );
        assert_eq!(seller.legal_form, "SAS");
        let buyer = i.buyer.as_ref().expect("buyer");
        assert_eq!(buyer.kind, ClientKind::Company as i32);
        assert!(buyer.name.starts_with("Société "));
        assert_eq!(buyer.siren, "356000000");
        assert_eq!(buyer.siret, "35600000000048");
        assert!(buyer.vat_number.starts_with("FR") && buyer.vat_number.ends_with("356000000"));
        assert_eq!(buyer.address.as_ref().expect("address").city, "Lyon");
        let l = &i.lines[0];
        assert_eq!(
            (l.label.as_str(), l.quantity, amount(&l.unit_price)),
            ("Conseil en assurance", 3, 15_000)
        );
        assert_eq!(l.vat_rate_basis_points, 2000);
        assert_eq!(amount(&l.net_amount), 45_000);
        let rates: Vec<_> = i
            .vat_subtotals
            .iter()
            .map(|s| {
                (
                    s.vat_category.as_str(),
                    s.rate_basis_points,
                    amount(&s.taxable_amount),
                    amount(&s.vat_amount),
                )
            })
            .collect();
        assert_eq!(
            rates,
            [("standard", 2000, 45_000, 9_000), ("exempt", 0, 4_990, 0)]
        );
        assert_eq!(
            i.vat_subtotals[1].exemption_reason,
            "Exonération de TVA, article 261 C 2° du CGI"
        );
        assert_eq!(amount(&i.total_excl_vat), 49_990);
        assert_eq!(amount(&i.total_vat), 9_000);
        assert_eq!(amount(&i.total_incl_vat), 58_990);
        assert_eq!(amount(&i.amount_due), 58_990);
        // ECB reference 2.15 % (decision of 11 June 2025) + 10 points.
        assert_eq!(i.late_penalty_rate_basis_points, 1215);
        let m = i.mentions.as_ref().expect("mentions");
        assert!(
            m.payment_terms.contains(
                &day.checked_add_days(Days::new(60))
                    .expect("date")
                    .format("%d/%m/%Y")
                    .to_string()
            )
        );
        assert!(!m.early_payment_discount.is_empty());
        assert!(m.late_penalty.contains("12,15 %"), "{}", m.late_penalty);
        assert!(m.recovery_indemnity.contains("40 €"));
        assert_eq!(
            m.vat_exemptions,
            ["Exonération de TVA, article 261 C 2° du CGI"]
        );

        let events = env.outbox(owner.org, "invoice.issued").await;
        assert_eq!(events.len(), 1);
        let e = ev::InvoiceIssued::decode(events[0].payload.as_slice()).expect("payload");
        assert_eq!(e.number, i.number);
        assert_eq!(e.client_kind, ClientKind::Company as i32);
        assert_eq!(amount(&e.total_incl_vat), 58_990);
        assert_eq!(e.vat_amounts.len(), 2);
        assert_eq!(e.meta.expect("meta").organisation_id, owner.org.to_string());
    }
}

/// A consumer's insurance invoice states the exemption basis and carries neither late
/// penalties nor the recovery indemnity; its terms are the organisation's 30 days.
#[tokio::test]
async fn b2c_exempt_invoices_state_the_exemption_and_no_penalties() {
    for env in envs(Stack::Invoices).await {
        let owner = env.organisation(seller_settings()).await;
        let client = env.client(owner, ClientKind::Person, None).await;
        let i = env
            .issued(
                owner,
                &client,
                vec![line("Prime mensuelle", 1, 4_990, "exempt")],
            )
            .await;
        assert_eq!(i.payment_terms_days, 30);
        assert_eq!(
            from_date(&i.due_date),
            today().checked_add_days(Days::new(30)).expect("date")
        );
        assert_eq!(i.late_penalty_rate_basis_points, 0);
        let m = i.mentions.as_ref().expect("mentions");
        assert!(m.late_penalty.is_empty() && m.recovery_indemnity.is_empty());
        assert_eq!(
            m.vat_exemptions,
            ["Exonération de TVA, article 261 C 2° du CGI"]
        );
        assert_eq!(amount(&i.total_vat), 0);
        assert_eq!(amount(&i.total_incl_vat), 4_990);
        let buyer = i.buyer.as_ref().expect("buyer");
        assert_eq!(buyer.kind, ClientKind::Person as i32);
        assert!(buyer.name.starts_with("Jeanne Martin"));
        assert!(buyer.siren.is_empty());
    }
}

/// VAT is computed per rate on the summed base, rounded half up: ten lines of 0.03 EUR
/// at 20 % and three of 0.10 EUR at 5.5 % make 0.06 + 0.02 of VAT, where rounding each
/// line would have made 0.10 + 0.03.
#[tokio::test]
async fn vat_is_rounded_on_the_summed_base() {
    for env in envs(Stack::Invoices).await {
        let owner = env.organisation(seller_settings()).await;
        let client = env.client(owner, ClientKind::Person, None).await;
        let mut lines: Vec<pb::InvoiceLine> = (0..10)
            .map(|i| line(&format!("Timbre {i}"), 1, 3, "standard"))
            .collect();
        lines.extend((0..3).map(|i| line(&format!("Livre {i}"), 1, 10, "reduced")));
        let i = env.issued(owner, &client, lines).await;
        let per_line: i64 = i.lines.iter().map(|l| amount(&l.vat_amount)).sum();
        assert_eq!(per_line, 13);
        let subtotals: Vec<_> = i
            .vat_subtotals
            .iter()
            .map(|s| {
                (
                    s.vat_category.as_str(),
                    s.rate_basis_points,
                    amount(&s.taxable_amount),
                    amount(&s.vat_amount),
                )
            })
            .collect();
        assert_eq!(
            subtotals,
            [("standard", 2000, 30, 6), ("reduced", 550, 30, 2)]
        );
        assert_eq!(amount(&i.total_excl_vat), 60);
        assert_eq!(amount(&i.total_vat), 8);
        assert_eq!(amount(&i.total_incl_vat), 68);
    }
}

/// An organisation without SIREN or address, or a client without address, cannot issue:
/// FAILED_PRECONDITION lists each missing mention and nothing is numbered; once fixed,
/// numbering starts at 1.
#[tokio::test]
async fn missing_mentions_block_issuing_without_using_a_number() {
    for env in envs(Stack::Invoices).await {
        let owner = env.organisation_with("Sans Adresse", "", vec![]).await;
        let homeless = env
            .create_client(
                owner,
                crm_proto::clients::v1::Client {
                    kind: ClientKind::Person as i32,
                    first_name: "Paul".into(),
                    last_name: "Sansadresse".into(),
                    ..Default::default()
                },
            )
            .await;
        let draft = env
            .create_draft(
                owner,
                draft_for(&homeless, vec![line("Prime", 1, 100, "exempt")]),
            )
            .await
            .expect("draft");
        let status = env
            .issue(owner, &draft.id)
            .await
            .expect_err("missing mentions");
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(
            precondition_subjects(&status),
            [
                "organisation.siren",
                "organisation.settings.address",
                "client.address"
            ]
        );
        assert_eq!(
            env.get(owner, &draft.id).await.expect("draft").status,
            pb::InvoiceStatus::Draft as i32
        );

        OrganisationServiceClient::new(env.organisations.channel.clone())
            .update_organisation(env.req(
                owner,
                org::UpdateOrganisationRequest {
                    organisation: Some(org::Organisation {
                        id: owner.org.to_string(),
                        siren: "732829320".into(),
                        settings: seller_settings().into_iter().collect(),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["siren".into(), "settings".into()],
                    }),
                },
            ))
            .await
            .expect("update organisation");
        let client = env.client(owner, ClientKind::Person, None).await;
        let i = env
            .issued(owner, &client, vec![line("Prime", 1, 100, "exempt")])
            .await;
        assert_eq!(sequence(&i.number), 1);
    }
}

/// Fifty tasks issuing at once in one series on PostgreSQL get the numbers 1 to 50:
/// no gap, no duplicate (SQLite serialises writers and is not run).
#[tokio::test]
async fn concurrent_issues_number_without_gaps_or_duplicates() {
    for env in envs(Stack::Invoices).await {
        if env.backend != crm_db::Backend::Postgres {
            continue;
        }
        let owner = env.organisation(seller_settings()).await;
        let client = env.client(owner, ClientKind::Person, None).await;
        let mut drafts = Vec::new();
        for i in 0..50 {
            let d = env
                .create_draft(
                    owner,
                    draft_for(
                        &client,
                        vec![line(&format!("Prime {i}"), 1, 4_990, "exempt")],
                    ),
                )
                .await
                .expect("draft");
            drafts.push(d.id);
        }
        let tasks: Vec<_> = drafts
            .iter()
            .map(|id| {
                let mut api = env.api();
                let request = env.req(
                    owner,
                    pb::IssueInvoiceRequest {
                        invoice_id: id.clone(),
                        version: 0,
                    },
                );
                tokio::spawn(async move { api.issue_invoice(request).await })
            })
            .collect();
        let mut sequences = Vec::new();
        for task in tasks {
            let issued = task
                .await
                .expect("task")
                .expect("issued")
                .into_inner()
                .invoice
                .expect("invoice");
            sequences.push(sequence(&issued.number));
        }
        sequences.sort_unstable();
        assert_eq!(sequences, (1..=50).collect::<Vec<i64>>());
        assert_eq!(env.outbox(owner.org, "invoice.issued").await.len(), 50);
    }
}
