//! What issuing fixes besides the number (domain-rules §5.1, §5.6): the VAT rate of each
//! line's category on the issue date, the subtotals and totals, the due date (the
//! organisation's payment terms, at most 60 days for a professional client) and the
//! legal mentions. Every mandatory mention that cannot be filled is reported, so the
//! caller fixes them all at once.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};

use super::{Buyer, ClientKind, Line, Mentions, Seller, Totals, VatCategory, VatSubtotal, vat};

/// Payment terms when the organisation sets none, in days from the issue date.
pub const DEFAULT_PAYMENT_TERMS_DAYS: i32 = 30;
/// Longest payment terms between professionals: 60 days from the invoice date (Code de
/// commerce L441-10, domain-rules §5.6).
pub const B2B_MAX_PAYMENT_TERMS_DAYS: i32 = 60;
/// Early-payment discount mention when the organisation sets none.
pub const DEFAULT_EARLY_PAYMENT: &str = "Pas d'escompte pour paiement anticipé.";
/// The fixed recovery indemnity, in euro cents (Code de commerce D441-5).
pub const RECOVERY_INDEMNITY_CENTS: i64 = 4_000;

/// What the organisation decides about its invoices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Payment terms, days from the issue date.
    pub payment_terms_days: i32,
    /// Early-payment discount mention.
    pub early_payment_discount: String,
}

/// Everything issuing needs besides the draft's lines.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    /// The seller on the issue date.
    pub seller: &'a Seller,
    /// The client on the issue date.
    pub buyer: &'a Buyer,
    /// The issue date.
    pub issue_date: NaiveDate,
    /// The organisation's terms.
    pub policy: &'a Policy,
    /// The rate of each category in force on the issue date, basis points.
    pub rates: &'a HashMap<VatCategory, i32>,
    /// B2B: the late-penalty rate on the issue date (ECB + 10 points), basis points.
    pub late_penalty_rate_bps: Option<i32>,
}

/// What issuing computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    /// The lines with their rates.
    pub lines: Vec<Line>,
    /// VAT per category.
    pub subtotals: Vec<VatSubtotal>,
    /// Totals.
    pub totals: Totals,
    /// Due date.
    pub due_date: NaiveDate,
    /// Days of payment terms applied.
    pub payment_terms_days: i32,
    /// B2B penalty rate.
    pub late_penalty_rate_bps: Option<i32>,
    /// Mentions.
    pub mentions: Mentions,
}

/// Returns the payment terms for a client of `kind`: the organisation's, capped at 60
/// days for a professional.
pub fn payment_terms(policy: &Policy, kind: ClientKind) -> i32 {
    let days = policy.payment_terms_days.max(0);
    match kind {
        ClientKind::Company => days.min(B2B_MAX_PAYMENT_TERMS_DAYS),
        ClientKind::Person => days,
    }
}

/// Returns a date as printed on French invoices.
pub fn french_date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// Returns basis points as a French percentage ("12,15").
pub fn french_percent(bps: i32) -> String {
    let whole = bps / 100;
    let fraction = (bps % 100).abs();
    if fraction == 0 {
        whole.to_string()
    } else if fraction % 10 == 0 {
        format!("{whole},{}", fraction / 10)
    } else {
        format!("{whole},{fraction:02}")
    }
}

/// Returns the B2B late-penalty mention at `rate_bps`.
pub fn late_penalty_mention(rate_bps: i32) -> String {
    format!(
        "Pénalités de retard exigibles dès le lendemain de la date d'échéance, sans rappel \
         préalable, au taux annuel de {} % (taux de refinancement de la BCE majoré de 10 \
         points, art. L441-10 du Code de commerce).",
        french_percent(rate_bps)
    )
}

/// The B2B recovery indemnity mention.
pub const RECOVERY_INDEMNITY_MENTION: &str = "Indemnité forfaitaire pour frais de recouvrement \
     due en cas de retard de paiement : 40 € (art. L441-10 et D441-5 du Code de commerce).";

/// Records what is missing from the seller's or client's identity for the mandatory
/// mentions, as (subject, description).
pub fn check_parties(seller: &Seller, buyer: &Buyer, problems: &mut Vec<(String, String)>) {
    let mut need = |missing: bool, subject: &str, description: &str| {
        if missing {
            problems.push((subject.to_owned(), description.to_owned()));
        }
    };
    need(
        seller.legal_name.trim().is_empty(),
        "organisation.legal_name",
        "the organisation's legal name is printed on every invoice",
    );
    need(
        seller.siren.trim().is_empty(),
        "organisation.siren",
        "the organisation's SIREN is printed on every invoice",
    );
    need(
        !seller.address.is_complete(),
        "organisation.settings.address",
        "the organisation's address (settings address_line1, postal_code, city) is printed on every invoice",
    );
    need(
        buyer.name.trim().is_empty(),
        "client.name",
        "the client's name is printed on every invoice",
    );
    need(
        !buyer.address.is_complete(),
        "client.address",
        "the client has no postal or billing address (line 1, postcode and city)",
    );
    need(
        buyer.kind == ClientKind::Company && buyer.siren.trim().is_empty(),
        "client.siren",
        "a professional client's SIREN is printed on every invoice",
    );
}

/// Returns what issuing `lines` computes in `ctx`, or every mention that cannot be
/// filled, as (subject, description).
pub fn prepare(lines: &[Line], ctx: &Context<'_>) -> Result<Prepared, Vec<(String, String)>> {
    let mut problems = Vec::new();
    check_parties(ctx.seller, ctx.buyer, &mut problems);
    let b2b = ctx.buyer.kind == ClientKind::Company;
    if b2b && ctx.late_penalty_rate_bps.is_none() {
        problems.push((
            "referentiel.ecb_rate".into(),
            format!("no ECB rate is known for {}", ctx.issue_date),
        ));
    }
    let mut rated = Vec::with_capacity(lines.len());
    for line in lines {
        match ctx.rates.get(&line.vat_category) {
            Some(rate) => rated.push(Line {
                vat_rate_bps: *rate,
                ..line.clone()
            }),
            None => problems.push((
                format!("vat_category.{}", line.vat_category.key()),
                format!("no VAT rate in force on {}", ctx.issue_date),
            )),
        }
    }
    let payment_terms_days = payment_terms(ctx.policy, ctx.buyer.kind);
    let due_date = ctx
        .issue_date
        .checked_add_days(Days::new(payment_terms_days.unsigned_abs().into()));
    let summary = vat::summarise(&rated);
    let (Some(due_date), Some((subtotals, totals))) = (due_date, summary) else {
        problems.push((
            "invoice".into(),
            "the amounts or dates are out of range".into(),
        ));
        return Err(problems);
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    finish(rated, subtotals, totals, due_date, payment_terms_days, ctx)
}

fn finish(
    lines: Vec<Line>,
    subtotals: Vec<VatSubtotal>,
    totals: Totals,
    due_date: NaiveDate,
    payment_terms_days: i32,
    ctx: &Context<'_>,
) -> Result<Prepared, Vec<(String, String)>> {
    let b2b = ctx.buyer.kind == ClientKind::Company;
    let payment_terms = if payment_terms_days == 0 {
        format!(
            "Paiement à réception, au plus tard le {}.",
            french_date(due_date)
        )
    } else {
        format!(
            "Paiement à {payment_terms_days} jours date de facture, soit au plus tard le {}.",
            french_date(due_date)
        )
    };
    let late_penalty_rate_bps = if b2b { ctx.late_penalty_rate_bps } else { None };
    let mentions = Mentions {
        payment_terms,
        early_payment_discount: ctx.policy.early_payment_discount.clone(),
        late_penalty: late_penalty_rate_bps
            .map(late_penalty_mention)
            .unwrap_or_default(),
        recovery_indemnity: if b2b {
            RECOVERY_INDEMNITY_MENTION.to_owned()
        } else {
            String::new()
        },
        vat_exemptions: exemptions(&subtotals),
        credited_invoice: String::new(),
    };
    Ok(Prepared {
        lines,
        subtotals,
        totals,
        due_date,
        payment_terms_days,
        late_penalty_rate_bps,
        mentions,
    })
}

/// Returns the exemption basis of each exempt category among `subtotals`, once.
pub fn exemptions(subtotals: &[VatSubtotal]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for reason in subtotals
        .iter()
        .filter_map(|s| s.category.exemption_reason())
    {
        if !out.iter().any(|r| r == reason) {
            out.push(reason.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Address;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn address() -> Address {
        Address {
            line1: "1 rue de la Paix".into(),
            postal_code: "75002".into(),
            city: "Paris".into(),
            country_code: "FR".into(),
            ..Address::default()
        }
    }

    fn seller() -> Seller {
        Seller {
            legal_name: "Assur SAS".into(),
            siren: "732829320".into(),
            vat_number: "FR44732829320".into(),
            address: address(),
            ..Seller::default()
        }
    }

    fn buyer(kind: ClientKind) -> Buyer {
        Buyer {
            kind,
            name: "Client".into(),
            address: address(),
            siren: if kind == ClientKind::Company {
                "356000000".into()
            } else {
                String::new()
            },
            siret: String::new(),
            vat_number: String::new(),
        }
    }

    fn line(category: VatCategory, unit: i64) -> Line {
        Line {
            label: "Prime".into(),
            quantity: 1,
            unit_price: unit,
            vat_category: category,
            vat_rate_bps: 0,
            service_period: None,
            product_id: None,
        }
    }

    fn policy(days: i32) -> Policy {
        Policy {
            payment_terms_days: days,
            early_payment_discount: DEFAULT_EARLY_PAYMENT.into(),
        }
    }

    fn rates() -> HashMap<VatCategory, i32> {
        HashMap::from([(VatCategory::Standard, 2000), (VatCategory::Exempt, 0)])
    }

    #[test]
    fn b2b_invoices_carry_penalties_and_the_indemnity() {
        let (s, b, p, r) = (seller(), buyer(ClientKind::Company), policy(90), rates());
        let ctx = Context {
            seller: &s,
            buyer: &b,
            issue_date: d("2026-03-10"),
            policy: &p,
            rates: &r,
            late_penalty_rate_bps: Some(1215),
        };
        let out = prepare(&[line(VatCategory::Standard, 10_000)], &ctx).expect("issuable");
        // 90 days asked, 60 at most between professionals.
        assert_eq!(out.payment_terms_days, 60);
        assert_eq!(out.due_date, d("2026-05-09"));
        assert!(out.mentions.payment_terms.contains("09/05/2026"));
        assert!(out.mentions.late_penalty.contains("12,15 %"));
        assert!(out.mentions.recovery_indemnity.contains("40 €"));
        assert_eq!(out.totals.incl_vat, 12_000);
        assert_eq!(out.lines[0].vat_rate_bps, 2000);
        assert!(out.mentions.vat_exemptions.is_empty());
    }

    #[test]
    fn consumers_get_neither_penalties_nor_indemnity_and_exempt_lines_say_why() {
        let (s, b, p, r) = (seller(), buyer(ClientKind::Person), policy(30), rates());
        let ctx = Context {
            seller: &s,
            buyer: &b,
            issue_date: d("2026-03-10"),
            policy: &p,
            rates: &r,
            late_penalty_rate_bps: Some(1215),
        };
        let out = prepare(&[line(VatCategory::Exempt, 4_990)], &ctx).expect("issuable");
        assert_eq!(out.due_date, d("2026-04-09"));
        assert_eq!(out.late_penalty_rate_bps, None);
        assert!(out.mentions.late_penalty.is_empty());
        assert!(out.mentions.recovery_indemnity.is_empty());
        assert_eq!(
            out.mentions.vat_exemptions,
            [crate::domain::EXEMPTION_REASON]
        );
        assert_eq!(out.totals.vat, 0);
    }

    #[test]
    fn every_missing_mention_is_reported() {
        let s = Seller::default();
        let mut b = buyer(ClientKind::Company);
        b.siren.clear();
        b.address = Address::default();
        let (p, r) = (policy(30), HashMap::new());
        let ctx = Context {
            seller: &s,
            buyer: &b,
            issue_date: d("2026-03-10"),
            policy: &p,
            rates: &r,
            late_penalty_rate_bps: None,
        };
        let problems = prepare(&[line(VatCategory::Reduced, 100)], &ctx).expect_err("missing");
        let subjects: Vec<_> = problems.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(
            subjects,
            [
                "organisation.legal_name",
                "organisation.siren",
                "organisation.settings.address",
                "client.address",
                "client.siren",
                "referentiel.ecb_rate",
                "vat_category.reduced"
            ]
        );
    }

    #[test]
    fn percentages_are_french() {
        assert_eq!(french_percent(1215), "12,15");
        assert_eq!(french_percent(1000), "10");
        assert_eq!(french_percent(1250), "12,5");
        assert_eq!(french_percent(1005), "10,05");
        assert_eq!(french_date(d("2026-01-05")), "05/01/2026");
    }
}
