//! The rules of a commercial (sales agent), free of I/O: what a valid commercial is, how
//! its fields are normalised, and where it may sit in the hierarchy.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

pub mod hierarchy;
mod validate;

pub use validate::validate;

/// Whether a commercial may get new clients and new reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Active.
    Active,
    /// Deactivated: keeps their history, gets no new clients and no new reports.
    Inactive,
}

impl Status {
    /// Returns the stored text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Inactive => "inactive",
        }
    }

    /// Returns the value of a stored text form.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(Status::Active),
            "inactive" => Some(Status::Inactive),
            _ => None,
        }
    }
}

/// The fields of a commercial a caller sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommercialData {
    /// Code, unique in the organisation without regard to case.
    pub code: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// E-mail address, lowercase domain.
    pub email: Option<String>,
    /// E.164 phone number.
    pub phone: Option<String>,
    /// The linked user account, unique in the organisation.
    pub user_id: Option<Uuid>,
    /// The manager, another commercial of the organisation.
    pub manager_id: Option<Uuid>,
    /// Team name.
    pub team: String,
    /// Status.
    pub status: Status,
    /// The commission plan that applies.
    pub commission_plan_id: Option<Uuid>,
    /// Hire date.
    pub hire_date: Option<NaiveDate>,
}

/// A stored commercial.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commercial {
    /// UUIDv7.
    pub id: Uuid,
    /// The owning organisation.
    pub organisation_id: Uuid,
    /// The fields.
    pub data: CommercialData,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change.
    pub version: i64,
}

impl CommercialData {
    /// Returns the key that makes codes unique without regard to case.
    pub fn code_key(&self) -> String {
        self.code.to_lowercase()
    }

    /// Returns "first last".
    pub fn full_name(&self) -> String {
        [self.first_name.as_str(), self.last_name.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Returns the lowercase text searched by ListCommerciaux' query: code, names and
    /// e-mail.
    pub fn search_text(&self) -> String {
        [
            self.code.as_str(),
            self.first_name.as_str(),
            self.last_name.as_str(),
            self.email.as_deref().unwrap_or_default(),
        ]
        .iter()
        .filter(|s| !s.is_empty())
        .map(|s| s.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> CommercialData {
        CommercialData {
            code: "COM-1".into(),
            first_name: "Jeanne".into(),
            last_name: "Durand".into(),
            email: Some("Jeanne@example.fr".into()),
            phone: None,
            user_id: None,
            manager_id: None,
            team: String::new(),
            status: Status::Active,
            commission_plan_id: None,
            hire_date: None,
        }
    }

    #[test]
    fn statuses_round_trip() {
        for s in [Status::Active, Status::Inactive] {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Status::parse("archived"), None);
    }

    #[test]
    fn keys_and_search_text_ignore_case() {
        let d = data();
        assert_eq!(d.code_key(), "com-1");
        assert_eq!(d.full_name(), "Jeanne Durand");
        assert_eq!(d.search_text(), "com-1 jeanne durand jeanne@example.fr");
    }
}
