//! The rules of the catalogue, free of I/O: what a valid product is, who may change the
//! catalogue, and how a product's price history grows (see [`price`]).

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub mod price;
mod validate;

pub use price::{PricePeriod, price_at};
pub use validate::{
    Draft, MAX_PRICE_MINOR, Violations, validate, validate_amount, validate_code,
    validate_valid_from,
};

/// Whether a product is billed repeatedly or once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Billed at every period of its billing frequency.
    Subscription,
    /// Billed once.
    OneOff,
}

/// How often a subscription is billed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    /// Every month.
    Monthly,
    /// Every three months.
    Quarterly,
    /// Every six months.
    SemiAnnual,
    /// Every year.
    Annual,
}

/// The French VAT category of a product. Rates are dated series in referentiel; the
/// category is what the product owns. The text forms are the referentiel keys events
/// carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VatCategory {
    /// Taux normal, 20 % in metropolitan France.
    Standard,
    /// Taux intermédiaire, 10 %.
    Intermediate,
    /// Taux réduit, 5.5 %.
    Reduced,
    /// Taux particulier, 2.1 %.
    SuperReduced,
    /// Exempt: insurance operations and the related services of brokers and
    /// intermediaries (CGI art. 261 C 2°, domain-rules 3).
    Exempt,
}

/// Whether a product can be sold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// In the catalogue.
    Active,
    /// Read-only; keeps its price history.
    Archived,
}

macro_rules! text_enum {
    ($ty:ty { $($variant:ident = $text:literal),+ $(,)? }) => {
        impl $ty {
            /// Returns the stored text form.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// Returns the value of a stored text form.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)+ _ => None }
            }
        }
    };
}

text_enum!(Kind { Subscription = "subscription", OneOff = "one_off" });
text_enum!(Frequency { Monthly = "monthly", Quarterly = "quarterly", SemiAnnual = "semi_annual", Annual = "annual" });
text_enum!(VatCategory {
    Standard = "standard",
    Intermediate = "intermediate",
    Reduced = "reduced",
    SuperReduced = "super_reduced",
    Exempt = "exempt",
});
text_enum!(Status { Active = "active", Archived = "archived" });

/// The fields of a product a caller sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductData {
    /// Code, unique in the organisation without regard to case.
    pub code: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Category (free text, may be empty).
    pub category: String,
    /// Subscription or one-off.
    pub kind: Kind,
    /// Billing frequency: set for subscriptions, `None` for one-off products.
    pub frequency: Option<Frequency>,
    /// VAT category.
    pub vat_category: VatCategory,
}

impl ProductData {
    /// Returns the key the code is unique on: the code in lowercase.
    pub fn code_key(&self) -> String {
        self.code.to_ascii_lowercase()
    }

    /// Returns the lowercase text ListProducts' query searches: code and name.
    pub fn search_text(&self) -> String {
        format!("{} {}", self.code, self.name).to_lowercase()
    }
}

/// A stored product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// UUIDv7.
    pub id: Uuid,
    /// The owning organisation.
    pub organisation_id: Uuid,
    /// The fields a caller sets.
    pub data: ProductData,
    /// Active or archived.
    pub status: Status,
    /// ISO 4217 currency of every price of the product; fixed at creation.
    pub currency: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change, new prices included.
    pub version: i64,
}

/// A product with the price period in force on the day it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedProduct {
    /// The product.
    pub product: Product,
    /// The period covering that day, if any.
    pub current_price: Option<PricePeriod>,
}

/// Returns the message refusing a change to an archived product.
pub fn archived_refusal(action: &str) -> String {
    format!("an archived product cannot {action}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The catalogue's writes need the kit's manage access: owners, admins, managers.
    #[test]
    fn only_owners_admins_and_managers_edit_the_catalogue() {
        use crm_kit::Role;
        use crm_kit::auth::permissions::{Action, role_allows};
        for role in [Role::Owner, Role::Admin, Role::Manager] {
            assert!(role_allows(role, Action::Manage), "{role}");
        }
        for role in [Role::Agent, Role::Accountant, Role::Viewer] {
            assert!(!role_allows(role, Action::Manage), "{role}");
        }
    }

    #[test]
    fn text_forms_round_trip() {
        for v in [
            VatCategory::Standard,
            VatCategory::Intermediate,
            VatCategory::Reduced,
            VatCategory::SuperReduced,
            VatCategory::Exempt,
        ] {
            assert_eq!(VatCategory::parse(v.as_str()), Some(v));
        }
        for f in [
            Frequency::Monthly,
            Frequency::Quarterly,
            Frequency::SemiAnnual,
            Frequency::Annual,
        ] {
            assert_eq!(Frequency::parse(f.as_str()), Some(f));
        }
        assert_eq!(Kind::parse("one_off"), Some(Kind::OneOff));
        assert_eq!(Status::parse("gone"), None);
    }

    #[test]
    fn codes_are_keyed_without_case() {
        let data = ProductData {
            code: "PREV-Plus".into(),
            name: "Prévoyance Plus".into(),
            description: String::new(),
            category: String::new(),
            kind: Kind::OneOff,
            frequency: None,
            vat_category: VatCategory::Exempt,
        };
        assert_eq!(data.code_key(), "prev-plus");
        assert_eq!(data.search_text(), "prev-plus prévoyance plus");
    }
}
