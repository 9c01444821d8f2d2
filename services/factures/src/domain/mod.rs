//! The rules of invoices and credit notes, free of I/O: what a document holds, its
//! states, numbering, VAT and totals, due dates and legal mentions, credit notes,
//! billing periods of contract lines and late-payment penalties.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub mod billing;
pub mod credit;
pub mod issue;
pub mod number;
pub mod penalty;
pub mod rounding;
pub mod state;
pub mod vat;

pub use crm_kit::team::Scope as Visibility;

/// Longest line label, credit reason or write-off reason.
pub const MAX_TEXT: usize = 500;
/// Most lines on one document.
pub const MAX_LINES: usize = 500;
/// Largest quantity of a line.
pub const MAX_QUANTITY: i32 = 100_000;
/// Largest unit price, in minor units (999 999 999.99 in a 2-decimal currency): with
/// the quantity and line caps every total fits an `i64`.
pub const MAX_UNIT_PRICE: i64 = 99_999_999_999;

/// Invoice or credit note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// An invoice (type code 380).
    Invoice,
    /// A credit note (type code 381).
    CreditNote,
}

impl Kind {
    /// Returns the stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Invoice => "invoice",
            Kind::CreditNote => "credit_note",
        }
    }

    /// Returns the kind of its stored text.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "invoice" => Some(Kind::Invoice),
            "credit_note" => Some(Kind::CreditNote),
            _ => None,
        }
    }
}

/// Where a document stands (domain-rules §5.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// No number yet; editable.
    Draft,
    /// Numbered, nothing paid.
    Issued,
    /// Partly paid.
    PartiallyPaid,
    /// Settled.
    Paid,
    /// Past due with something still due.
    Overdue,
    /// Written off as a loss.
    WrittenOff,
    /// Cancelled in full by credit notes.
    CancelledByCreditNote,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 7] = [
        Status::Draft,
        Status::Issued,
        Status::PartiallyPaid,
        Status::Paid,
        Status::Overdue,
        Status::WrittenOff,
        Status::CancelledByCreditNote,
    ];

    /// Returns the stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Issued => "issued",
            Status::PartiallyPaid => "partially_paid",
            Status::Paid => "paid",
            Status::Overdue => "overdue",
            Status::WrittenOff => "written_off",
            Status::CancelledByCreditNote => "cancelled_by_credit_note",
        }
    }

    /// Returns the status of its stored text.
    pub fn parse(s: &str) -> Option<Self> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// Person (B2C) or company (B2B).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    /// A consumer: no late penalties, no recovery indemnity.
    Person,
    /// A professional.
    Company,
}

/// A VAT category, named by the keys products and referentiel use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VatCategory {
    /// Taux normal.
    Standard,
    /// Taux intermédiaire.
    Intermediate,
    /// Taux réduit.
    Reduced,
    /// Taux particulier.
    SuperReduced,
    /// Exempt (insurance, CGI art. 261 C 2°).
    Exempt,
}

/// The exemption basis printed for exempt operations (insurance, domain-rules §3).
pub const EXEMPTION_REASON: &str = "Exonération de TVA, article 261 C 2° du CGI";

impl VatCategory {
    /// Every category, in the order subtotals are printed.
    pub const ALL: [VatCategory; 5] = [
        VatCategory::Standard,
        VatCategory::Intermediate,
        VatCategory::Reduced,
        VatCategory::SuperReduced,
        VatCategory::Exempt,
    ];

    /// Returns the key.
    pub fn key(self) -> &'static str {
        match self {
            VatCategory::Standard => "standard",
            VatCategory::Intermediate => "intermediate",
            VatCategory::Reduced => "reduced",
            VatCategory::SuperReduced => "super_reduced",
            VatCategory::Exempt => "exempt",
        }
    }

    /// Returns the category of a key.
    pub fn parse(key: &str) -> Option<Self> {
        VatCategory::ALL.into_iter().find(|c| c.key() == key)
    }

    /// Returns the exemption basis to print, for the exempt category.
    pub fn exemption_reason(self) -> Option<&'static str> {
        (self == VatCategory::Exempt).then_some(EXEMPTION_REASON)
    }
}

/// A span of days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
}

impl Period {
    /// Returns the number of days, both ends included.
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }
}

/// A postal address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// First line.
    pub line1: String,
    /// Second line.
    pub line2: String,
    /// Postcode.
    pub postal_code: String,
    /// City.
    pub city: String,
    /// Region.
    pub region: String,
    /// ISO 3166-1 alpha-2 country.
    pub country_code: String,
}

impl Address {
    /// Returns whether it can be printed as a postal address.
    pub fn is_complete(&self) -> bool {
        !self.line1.trim().is_empty()
            && !self.postal_code.trim().is_empty()
            && !self.city.trim().is_empty()
    }
}

/// One line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// Description.
    pub label: String,
    /// Units.
    pub quantity: i32,
    /// Unit price excluding VAT, minor units.
    pub unit_price: i64,
    /// VAT category.
    pub vat_category: VatCategory,
    /// Rate fixed at issue, basis points (0 on a draft).
    #[serde(default)]
    pub vat_rate_bps: i32,
    /// The service period the line bills.
    #[serde(default)]
    pub service_period: Option<Period>,
    /// The product, for contract lines.
    #[serde(default)]
    pub product_id: Option<Uuid>,
}

impl Line {
    /// Returns quantity × unit price; the caps keep it within `i64`.
    pub fn net(&self) -> i64 {
        i64::from(self.quantity).saturating_mul(self.unit_price)
    }
}

/// The seller's identity as printed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seller {
    /// Legal name.
    pub legal_name: String,
    /// SIREN.
    pub siren: String,
    /// VAT number.
    pub vat_number: String,
    /// Address.
    pub address: Address,
    /// Legal form.
    pub legal_form: String,
    /// Share capital as printed.
    pub share_capital: String,
    /// Trade register mention.
    pub rcs: String,
}

/// The client's identity as printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Buyer {
    /// Person or company.
    pub kind: ClientKind,
    /// Name.
    pub name: String,
    /// Billing address.
    pub address: Address,
    /// SIREN (companies).
    pub siren: String,
    /// SIRET (companies).
    pub siret: String,
    /// VAT number (French companies).
    pub vat_number: String,
}

/// The VAT of one category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VatSubtotal {
    /// Category.
    pub category: VatCategory,
    /// Rate, basis points.
    pub rate_bps: i32,
    /// Summed base.
    pub base: i64,
    /// VAT, rounded half up.
    pub vat: i64,
}

/// Totals of an issued document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Excluding VAT.
    pub excl_vat: i64,
    /// VAT.
    pub vat: i64,
    /// Including VAT.
    pub incl_vat: i64,
}

/// The legal mentions as printed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mentions {
    /// Payment terms and due date.
    pub payment_terms: String,
    /// Early-payment discount.
    pub early_payment_discount: String,
    /// B2B late penalties.
    pub late_penalty: String,
    /// B2B recovery indemnity.
    pub recovery_indemnity: String,
    /// Exemption bases.
    pub vat_exemptions: Vec<String>,
    /// Credit notes: the invoice credited.
    pub credited_invoice: String,
}

/// What issuing fixed: everything an issued document prints besides its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// Number in its series.
    pub number: String,
    /// Issue date.
    pub issue_date: NaiveDate,
    /// Due date.
    pub due_date: NaiveDate,
    /// Days between the two.
    pub payment_terms_days: i32,
    /// Seller.
    pub seller: Seller,
    /// Client.
    pub buyer: Buyer,
    /// VAT per category.
    pub subtotals: Vec<VatSubtotal>,
    /// Totals.
    pub totals: Totals,
    /// B2B penalty rate, basis points.
    pub late_penalty_rate_bps: Option<i32>,
    /// Mentions.
    pub mentions: Mentions,
}

/// What has been credited of one category of an invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryCredit {
    /// Category.
    pub category: VatCategory,
    /// Base credited.
    pub base: i64,
    /// VAT credited.
    pub vat: i64,
}

/// A credit note's reference to its invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditOf {
    /// The invoice.
    pub invoice_id: Uuid,
    /// Its number.
    pub invoice_number: String,
    /// Why.
    pub reason: String,
}

/// An invoice or a credit note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    /// Id.
    pub id: Uuid,
    /// Organisation.
    pub organisation_id: Uuid,
    /// Kind.
    pub kind: Kind,
    /// Status.
    pub status: Status,
    /// Client.
    pub client_id: Uuid,
    /// The sales agent the client was assigned to, for row-level visibility.
    pub client_commercial_id: Option<Uuid>,
    /// Contract billed.
    pub contract_id: Option<Uuid>,
    /// ISO 4217 code.
    pub currency: String,
    /// Lines.
    pub lines: Vec<Line>,
    /// Service period.
    pub service_period: Option<Period>,
    /// Month billed by a billing run.
    pub billing_period_start: Option<NaiveDate>,
    /// What issuing fixed; `None` on a draft.
    pub issued: Option<Issued>,
    /// Payments, net of reversals.
    pub amount_paid: i64,
    /// Credited by credit notes, VAT included.
    pub amount_credited: i64,
    /// Credited per category.
    pub credited: Vec<CategoryCredit>,
    /// Credit notes: the invoice credited.
    pub credit_of: Option<CreditOf>,
    /// When it was marked overdue.
    pub overdue_at: Option<DateTime<Utc>>,
    /// When it was paid in full.
    pub paid_date: Option<NaiveDate>,
    /// Why it was written off.
    pub write_off_reason: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

impl Invoice {
    /// Returns the sum of the line nets.
    pub fn net_total(&self) -> i64 {
        self.lines
            .iter()
            .map(Line::net)
            .fold(0, i64::saturating_add)
    }

    /// Returns the total including VAT (0 on a draft).
    pub fn total_incl_vat(&self) -> i64 {
        self.issued.as_ref().map_or(0, |i| i.totals.incl_vat)
    }

    /// Returns what is still to pay, never below zero.
    pub fn amount_due(&self) -> i64 {
        match self.status {
            Status::Draft | Status::WrittenOff | Status::CancelledByCreditNote => 0,
            _ => (self.total_incl_vat() - self.amount_credited - self.amount_paid).max(0),
        }
    }

    /// Returns the number, empty on a draft.
    pub fn number(&self) -> &str {
        self.issued.as_ref().map_or("", |i| i.number.as_str())
    }

    /// Returns the client's kind when issued.
    pub fn client_kind(&self) -> Option<ClientKind> {
        self.issued.as_ref().map(|i| i.buyer.kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        for c in VatCategory::ALL {
            assert_eq!(VatCategory::parse(c.key()), Some(c));
        }
        for k in [Kind::Invoice, Kind::CreditNote] {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        assert_eq!(Status::parse("void"), None);
        assert_eq!(VatCategory::parse("normal"), None);
    }

    #[test]
    fn periods_count_both_ends() {
        let d = |s: &str| s.parse::<NaiveDate>().expect("date");
        let p = Period {
            start: d("2026-01-01"),
            end: d("2026-01-31"),
        };
        assert_eq!(p.days(), 31);
    }
}
