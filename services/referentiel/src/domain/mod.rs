//! Reference data as plain values, and the pure rules over them: which dated rate covers
//! a date, the late-penalty reference of a half-year, data set versions, keyset pages,
//! and the checks of the organisations' value lists.

pub mod lists;
pub mod page;
pub mod rates;
pub mod reasons;
pub mod version;

pub use reasons::{ReasonClass, ReasonCode};

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

/// A country (ISO 3166-1 alpha-2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Country {
    /// Alpha-2 code, uppercase.
    pub code: String,
    /// English short name.
    pub name: String,
    /// French short name.
    pub name_fr: String,
    /// In the SEPA schemes' geographical scope.
    pub sepa: bool,
    /// A member state of the European Union.
    pub eu_member: bool,
    /// IBAN length, when the country uses IBANs.
    pub iban_length: Option<i32>,
}

/// A currency (ISO 4217).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Currency {
    /// Alphabetic code.
    pub code: String,
    /// Numeric code, three digits.
    pub numeric_code: String,
    /// English name.
    pub name: String,
    /// Digits of the minor unit.
    pub minor_units: i32,
}

/// The VAT categories products carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VatCategory {
    /// Taux normal.
    Standard,
    /// Taux intermédiaire.
    Intermediate,
    /// Taux réduit.
    Reduced,
    /// Taux particulier.
    SuperReduced,
    /// Exempt operations.
    Exempt,
}

impl VatCategory {
    /// Every category.
    pub const ALL: [VatCategory; 5] = [
        VatCategory::Standard,
        VatCategory::Intermediate,
        VatCategory::Reduced,
        VatCategory::SuperReduced,
        VatCategory::Exempt,
    ];

    /// Returns the key stored and sent as text (the same keys as products' events).
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
        Self::ALL.into_iter().find(|c| c.key() == key)
    }
}

/// A VAT rate of one category in one country over a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VatRate {
    /// Country code.
    pub country_code: String,
    /// Category.
    pub category: VatCategory,
    /// Rate in basis points.
    pub rate_bps: i32,
    /// First day covered.
    pub valid_from: NaiveDate,
    /// First day no longer covered; `None` while in force.
    pub valid_to: Option<NaiveDate>,
    /// What the category covers.
    pub description: String,
}

/// The legal interest rates of one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalInterestRate {
    /// Country code.
    pub country_code: String,
    /// First day of the period.
    pub valid_from: NaiveDate,
    /// First day after it.
    pub valid_to: NaiveDate,
    /// Rate for natural persons not acting for professional purposes, in basis points.
    pub individual_bps: i32,
    /// Rate for every other case, in basis points.
    pub other_bps: i32,
}

/// One step of the ECB main refinancing operations rate series: the rate from
/// `valid_from` until the next step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcbRate {
    /// When the rate took effect.
    pub valid_from: NaiveDate,
    /// The rate, in basis points.
    pub rate_bps: i32,
}

/// A civility.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Civility {
    /// Code.
    pub code: String,
    /// Label.
    pub label: String,
    /// Abbreviation.
    pub abbreviation: String,
    /// Display order.
    pub position: i32,
}

/// A legal form of business.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegalForm {
    /// Country whose law defines it.
    pub country_code: String,
    /// Short code, unique in the country.
    pub code: String,
    /// Full name.
    pub name: String,
    /// INSEE legal category code, when specific.
    pub insee_code: String,
    /// Whether it creates a legal person.
    pub legal_person: bool,
}

/// A value of an organisation's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListValue {
    /// Row id (UUIDv7).
    pub id: Uuid,
    /// The organisation.
    pub organisation_id: Uuid,
    /// The list.
    pub list_key: String,
    /// Code, unique in the list.
    pub code: String,
    /// Label.
    pub label: String,
    /// Display order.
    pub position: i32,
    /// Offered for new use.
    pub active: bool,
    /// Increased by every change.
    pub version: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}
