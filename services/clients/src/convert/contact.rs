//! Contacts: proto ↔ domain, and update masks.

use crm_proto::clients::v1 as pb;

use super::{Violations, timestamp};
use crate::domain::contact::{Contact, ContactData};

fn optional_text(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Returns the proto form of a contact.
pub fn contact_to_proto(c: &Contact) -> pb::Contact {
    pb::Contact {
        id: c.id.to_string(),
        client_id: c.client_id.to_string(),
        first_name: c.data.first_name.clone(),
        last_name: c.data.last_name.clone(),
        job_title: c.data.job_title.clone(),
        email: c.data.email.clone().unwrap_or_default(),
        phone: c.data.phone.clone().unwrap_or_default(),
        is_primary: c.data.is_primary,
        create_time: Some(timestamp(c.created_at)),
        update_time: Some(timestamp(c.updated_at)),
        version: c.version,
    }
}

/// Returns the fields of a proto contact, before the domain's checks.
pub fn contact_data_from_proto(p: &pb::Contact) -> ContactData {
    ContactData {
        first_name: p.first_name.clone(),
        last_name: p.last_name.clone(),
        job_title: p.job_title.clone(),
        email: optional_text(&p.email),
        phone: optional_text(&p.phone),
        is_primary: p.is_primary,
    }
}

/// Fields UpdateContact may change, as update-mask paths.
const UPDATABLE: &[&str] = &[
    "first_name",
    "last_name",
    "job_title",
    "email",
    "phone",
    "is_primary",
];

/// Returns the mask paths of every field set in `p`, for an update without a mask
/// (`is_primary` only when true: clearing it needs a mask).
pub fn contact_implicit_mask(p: &pb::Contact) -> Vec<String> {
    [
        (!p.first_name.is_empty(), "first_name"),
        (!p.last_name.is_empty(), "last_name"),
        (!p.job_title.is_empty(), "job_title"),
        (!p.email.is_empty(), "email"),
        (!p.phone.is_empty(), "phone"),
        (p.is_primary, "is_primary"),
    ]
    .into_iter()
    .filter(|(set, _)| *set)
    .map(|(_, name)| name.to_owned())
    .collect()
}

/// Returns `current` with the fields named by `paths` taken from `incoming`. Unknown or
/// immutable paths are recorded in `v`.
pub fn apply_contact_mask(
    current: &ContactData,
    incoming: &pb::Contact,
    paths: &[String],
    v: &mut Violations,
) -> ContactData {
    let mut out = current.clone();
    let new = contact_data_from_proto(incoming);
    for (i, path) in paths.iter().enumerate() {
        match path.as_str() {
            "first_name" => out.first_name.clone_from(&new.first_name),
            "last_name" => out.last_name.clone_from(&new.last_name),
            "job_title" => out.job_title.clone_from(&new.job_title),
            "email" => out.email.clone_from(&new.email),
            "phone" => out.phone.clone_from(&new.phone),
            "is_primary" => out.is_primary = new.is_primary,
            _ => v.push((
                format!("update_mask.paths[{i}]"),
                format!(
                    "{path:?} is not a field that can be updated (one of {})",
                    UPDATABLE.join(", ")
                ),
            )),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_copy_named_fields_only() {
        let current = ContactData {
            last_name: "Old".into(),
            job_title: "Buyer".into(),
            is_primary: true,
            ..ContactData::default()
        };
        let incoming = pb::Contact {
            last_name: "New".into(),
            job_title: "Ignored".into(),
            ..Default::default()
        };
        let mut v = Vec::new();
        let out = apply_contact_mask(
            &current,
            &incoming,
            &["last_name".into(), "is_primary".into(), "client_id".into()],
            &mut v,
        );
        assert_eq!(out.last_name, "New");
        assert_eq!(out.job_title, "Buyer");
        assert!(!out.is_primary);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].0, "update_mask.paths[2]");
        assert_eq!(contact_implicit_mask(&incoming), ["last_name", "job_title"]);
    }
}
