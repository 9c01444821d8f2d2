//! Contacts: the people to talk to at a company client.

use chrono::{DateTime, Utc};
use crm_shared::validate::{normalise_phone, validate_email};
use uuid::Uuid;

use super::{Client, Kind, Status};

const MAX_TEXT: usize = 200;

/// The fields of a contact a caller sets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContactData {
    /// First name.
    pub first_name: String,
    /// Last name; required.
    pub last_name: String,
    /// Role or job title.
    pub job_title: String,
    /// E-mail address.
    pub email: Option<String>,
    /// E.164 phone number.
    pub phone: Option<String>,
    /// Whether this is the client's main contact.
    pub is_primary: bool,
}

/// A stored contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// UUIDv7.
    pub id: Uuid,
    /// The owning organisation.
    pub organisation_id: Uuid,
    /// The company client.
    pub client_id: Uuid,
    /// The fields.
    pub data: ContactData,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change.
    pub version: i64,
}

/// Why a client's contacts cannot be changed.
pub fn check_client_takes_contacts(client: &Client) -> Result<(), &'static str> {
    if client.data.kind != Kind::Company {
        return Err("contacts belong to company clients; this client is a person");
    }
    if client.data.status == Status::Archived {
        return Err("an archived client cannot be changed; restore it first");
    }
    Ok(())
}

/// Returns `data` normalised, or every violation with field paths under `prefix`.
pub fn validate(mut data: ContactData, prefix: &str) -> Result<ContactData, Vec<(String, String)>> {
    let mut v = Vec::new();
    let field = |name: &str| format!("{prefix}.{name}");
    data.first_name = data.first_name.trim().to_owned();
    data.last_name = data.last_name.trim().to_owned();
    data.job_title = data.job_title.trim().to_owned();
    if data.last_name.is_empty() {
        v.push((field("last_name"), "is required".into()));
    }
    for (name, value) in [
        ("first_name", &data.first_name),
        ("last_name", &data.last_name),
        ("job_title", &data.job_title),
    ] {
        if value.chars().count() > MAX_TEXT {
            v.push((
                field(name),
                format!("must be at most {MAX_TEXT} characters"),
            ));
        }
        if value.chars().any(char::is_control) {
            v.push((field(name), "must not contain control characters".into()));
        }
    }
    if let Some(email) = data.email.take() {
        match validate_email(&email) {
            Ok(e) => data.email = Some(e.as_str().to_owned()),
            Err(e) => v.push((field("email"), e.to_string())),
        }
    }
    if let Some(phone) = data.phone.take() {
        match normalise_phone(&phone) {
            Ok(p) => data.phone = Some(p.as_str().to_owned()),
            Err(e) => v.push((field("phone"), e.to_string())),
        }
    }
    if v.is_empty() { Ok(data) } else { Err(v) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_normalised_and_checked() {
        let ok = validate(
            ContactData {
                first_name: " Paul ".into(),
                last_name: "Durand".into(),
                job_title: "Buyer".into(),
                email: Some("Paul@Example.FR".into()),
                phone: Some("+33 1 23 45 67 89".into()),
                is_primary: true,
            },
            "contact",
        )
        .expect("valid");
        assert_eq!(ok.first_name, "Paul");
        assert_eq!(ok.email.as_deref(), Some("Paul@example.fr"));
        assert_eq!(ok.phone.as_deref(), Some("+33123456789"));

        let err = validate(
            ContactData {
                job_title: "x".repeat(201),
                email: Some("nope".into()),
                phone: Some("12".into()),
                ..ContactData::default()
            },
            "contact",
        )
        .expect_err("invalid");
        let fields: Vec<_> = err.into_iter().map(|(f, _)| f).collect();
        assert_eq!(
            fields,
            [
                "contact.last_name",
                "contact.job_title",
                "contact.email",
                "contact.phone"
            ]
        );
    }
}
