//! The rules of clients, contacts and opportunities, free of I/O: what a valid record
//! is, how its fields are normalised, who may see it, which changes are allowed, what
//! makes two clients duplicates and how a merge fills the survivor.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

mod validate;

pub use validate::validate;

/// Person or company.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A natural person: a consumer (B2C).
    Person,
    /// A company: a professional (B2B).
    Company,
}

/// Where a client stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Not yet a customer.
    Prospect,
    /// A customer.
    Active,
    /// A former customer.
    Inactive,
    /// Archived.
    Archived,
}

/// Civility of a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Civility {
    /// Monsieur.
    Mr,
    /// Madame.
    Mrs,
    /// Neither.
    Mx,
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

text_enum!(Kind { Person = "person", Company = "company" });
text_enum!(Status { Prospect = "prospect", Active = "active", Inactive = "inactive", Archived = "archived" });
text_enum!(Civility { Mr = "mr", Mrs = "mrs", Mx = "mx" });

// Declared after `text_enum!` so they can use it.
pub mod contact;
pub mod duplicates;
pub mod merge;
pub mod opportunity;

/// A postal address, stored as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Address {
    /// Street and number.
    pub line1: String,
    /// Building, floor, care of.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub line2: String,
    /// Postal code.
    pub postal_code: String,
    /// City.
    pub city: String,
    /// Region.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub region: String,
    /// ISO 3166-1 alpha-2 country.
    pub country_code: String,
}

/// The fields of a client a caller sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientData {
    /// Person or company; fixed at creation.
    pub kind: Kind,
    /// Civility, persons only.
    pub civility: Option<Civility>,
    /// First name, persons only.
    pub first_name: String,
    /// Last name, required for persons.
    pub last_name: String,
    /// Company name, required for companies.
    pub company_name: String,
    /// SIREN, companies only.
    pub siren: Option<String>,
    /// SIRET, companies only.
    pub siret: Option<String>,
    /// E-mail address, lowercase domain.
    pub email: Option<String>,
    /// E.164 phone number.
    pub phone: Option<String>,
    /// Birth date, persons only.
    pub birth_date: Option<NaiveDate>,
    /// Postal address.
    pub postal_address: Option<Address>,
    /// Billing address.
    pub billing_address: Option<Address>,
    /// Status.
    pub status: Status,
    /// Assigned sales agent.
    pub commercial_id: Option<Uuid>,
    /// Tags, lowercase, unique, sorted.
    pub tags: Vec<String>,
    /// Lead source.
    pub source: String,
    /// Custom fields.
    pub custom_fields: BTreeMap<String, String>,
}

/// A stored client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// UUIDv7.
    pub id: Uuid,
    /// The owning organisation.
    pub organisation_id: Uuid,
    /// The fields.
    pub data: ClientData,
    /// The status before archiving, restored by RestoreClient.
    pub previous_status: Option<Status>,
    /// The client this one was merged into (it is then archived).
    pub merged_into: Option<Uuid>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change.
    pub version: i64,
}

impl ClientData {
    /// Returns the lowercase text searched by ListClients' query: names and e-mail.
    pub fn search_text(&self) -> String {
        [
            self.first_name.as_str(),
            self.last_name.as_str(),
            self.company_name.as_str(),
            self.email.as_deref().unwrap_or_default(),
        ]
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ")
    }

    /// Returns the name shown for the client: "first last" for a person, the company
    /// name for a company.
    pub fn display_name(&self) -> String {
        match self.kind {
            Kind::Company => self.company_name.clone(),
            Kind::Person => [self.first_name.as_str(), self.last_name.as_str()]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// Which clients a caller may see: agents the clients assigned to them, managers their
/// team's, everyone else the whole organisation.
pub use crm_kit::team::Scope as Visibility;

/// Returns the status an archived client goes back to.
pub fn restored_status(previous: Option<Status>) -> Status {
    match previous {
        Some(Status::Archived) | None => Status::Prospect,
        Some(status) => status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_goes_back_to_the_previous_status() {
        assert_eq!(restored_status(Some(Status::Active)), Status::Active);
        assert_eq!(restored_status(None), Status::Prospect);
        assert_eq!(restored_status(Some(Status::Archived)), Status::Prospect);
    }

    #[test]
    fn text_forms_round_trip() {
        for s in [
            Status::Prospect,
            Status::Active,
            Status::Inactive,
            Status::Archived,
        ] {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Kind::parse("robot"), None);
    }
}
