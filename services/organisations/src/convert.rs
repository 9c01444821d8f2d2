//! Conversions between the protobuf messages and the domain, with field-by-field checks
//! of what protobuf cannot express (ids, enums in range, update masks).

use chrono::{DateTime, Utc};
use crm_proto::organisations::v1 as pb;

use crate::domain::{Invitation, InvitationState, Membership, Organisation, OrganisationData};

pub use crm_kit::convert::{Violations, optional_uuid, role_field, timestamp, uuid_field};

fn optional_text(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Returns the organisation fields of a proto organisation, before the domain's checks.
pub fn data_from_proto(p: &pb::Organisation) -> OrganisationData {
    OrganisationData {
        name: p.name.clone(),
        slug: p.slug.clone(),
        legal_name: p.legal_name.clone(),
        siren: optional_text(&p.siren),
        country_code: p.country_code.clone(),
        default_currency: p.default_currency.clone(),
        time_zone: p.time_zone.clone(),
        sepa_creditor_id: optional_text(&p.sepa_creditor_id),
        invoice_prefix: p.invoice_prefix.clone(),
        settings: p.settings.clone().into_iter().collect(),
    }
}

/// Returns the proto form of an organisation.
pub fn organisation_to_proto(o: &Organisation) -> pb::Organisation {
    let d = &o.data;
    pb::Organisation {
        id: o.id.to_string(),
        name: d.name.clone(),
        slug: d.slug.clone(),
        legal_name: d.legal_name.clone(),
        siren: d.siren.clone().unwrap_or_default(),
        country_code: d.country_code.clone(),
        default_currency: d.default_currency.clone(),
        time_zone: d.time_zone.clone(),
        sepa_creditor_id: d.sepa_creditor_id.clone().unwrap_or_default(),
        invoice_prefix: d.invoice_prefix.clone(),
        settings: d.settings.clone().into_iter().collect(),
        create_time: Some(timestamp(o.created_at)),
        update_time: Some(timestamp(o.updated_at)),
    }
}

/// Returns the proto form of a membership.
pub fn membership_to_proto(m: &Membership) -> pb::Membership {
    pb::Membership {
        organisation_id: m.organisation_id.to_string(),
        user_id: m.user_id.to_string(),
        role: m.role.to_proto(),
        commercial_id: m.commercial_id.map(|c| c.to_string()).unwrap_or_default(),
        create_time: Some(timestamp(m.created_at)),
    }
}

/// Returns the proto form of an invitation as seen at `now` (expiry derived).
pub fn invitation_to_proto(i: &Invitation, now: DateTime<Utc>) -> pb::Invitation {
    let state = match i.state(now) {
        InvitationState::Pending => pb::InvitationState::Pending,
        InvitationState::Accepted => pb::InvitationState::Accepted,
        InvitationState::Revoked => pb::InvitationState::Revoked,
        InvitationState::Expired => pb::InvitationState::Expired,
    };
    pb::Invitation {
        id: i.id.to_string(),
        organisation_id: i.organisation_id.to_string(),
        email: i.email.clone(),
        role: i.role.to_proto(),
        state: state as i32,
        expire_time: Some(timestamp(i.expires_at)),
        invited_by: i.invited_by.to_string(),
        create_time: Some(timestamp(i.created_at)),
    }
}

/// Fields UpdateOrganisation may change, as update-mask paths.
const UPDATABLE: &[&str] = &[
    "name",
    "slug",
    "legal_name",
    "siren",
    "country_code",
    "default_currency",
    "time_zone",
    "sepa_creditor_id",
    "invoice_prefix",
    "settings",
];

/// Returns the mask paths of every field set in `p`, for an update without a mask.
pub fn implicit_mask(p: &pb::Organisation) -> Vec<String> {
    [
        ("name", !p.name.is_empty()),
        ("slug", !p.slug.is_empty()),
        ("legal_name", !p.legal_name.is_empty()),
        ("siren", !p.siren.is_empty()),
        ("country_code", !p.country_code.is_empty()),
        ("default_currency", !p.default_currency.is_empty()),
        ("time_zone", !p.time_zone.is_empty()),
        ("sepa_creditor_id", !p.sepa_creditor_id.is_empty()),
        ("invoice_prefix", !p.invoice_prefix.is_empty()),
        ("settings", !p.settings.is_empty()),
    ]
    .into_iter()
    .filter(|(_, set)| *set)
    .map(|(name, _)| name.to_owned())
    .collect()
}

/// Records a violation for every path of `paths` that names no updatable field.
pub fn check_mask(paths: &[String], v: &mut Violations) {
    for (i, path) in paths.iter().enumerate() {
        if !UPDATABLE.contains(&path.as_str()) {
            v.push((
                format!("update_mask.paths[{i}]"),
                format!("{path:?} is not a field that can be updated"),
            ));
        }
    }
}

/// Copies the fields named by `paths` (checked with [`check_mask`]) from `incoming` onto
/// `target`.
pub fn apply_mask(target: &mut pb::Organisation, incoming: &pb::Organisation, paths: &[String]) {
    let s = incoming;
    for path in paths {
        match path.as_str() {
            "name" => target.name = s.name.clone(),
            "slug" => target.slug = s.slug.clone(),
            "legal_name" => target.legal_name = s.legal_name.clone(),
            "siren" => target.siren = s.siren.clone(),
            "country_code" => target.country_code = s.country_code.clone(),
            "default_currency" => target.default_currency = s.default_currency.clone(),
            "time_zone" => target.time_zone = s.time_zone.clone(),
            "sepa_creditor_id" => target.sepa_creditor_id = s.sepa_creditor_id.clone(),
            "invoice_prefix" => target.invoice_prefix = s.invoice_prefix.clone(),
            "settings" => target.settings = s.settings.clone(),
            // Refused by check_mask before any change is attempted.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_kit::Role;

    #[test]
    fn masks_copy_named_fields_only() {
        let mut target = pb::Organisation {
            name: "Old".into(),
            legal_name: "Old SA".into(),
            ..Default::default()
        };
        let incoming = pb::Organisation {
            id: "ignored".into(),
            name: "New".into(),
            legal_name: "Ignored".into(),
            time_zone: "Europe/Brussels".into(),
            ..Default::default()
        };
        let paths: Vec<String> = ["name", "time_zone", "id", "create_time"]
            .map(String::from)
            .to_vec();
        let mut v = Vec::new();
        check_mask(&paths, &mut v);
        apply_mask(&mut target, &incoming, &paths);
        assert_eq!(target.name, "New");
        assert_eq!(target.legal_name, "Old SA");
        assert_eq!(target.time_zone, "Europe/Brussels");
        assert_eq!(target.id, "");
        let fields: Vec<_> = v.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["update_mask.paths[2]", "update_mask.paths[3]"]);
    }

    #[test]
    fn the_implicit_mask_names_set_fields() {
        let p = pb::Organisation {
            name: "Acme".into(),
            settings: [("a".to_owned(), "b".to_owned())].into(),
            ..Default::default()
        };
        assert_eq!(implicit_mask(&p), ["name", "settings"]);
        assert!(implicit_mask(&pb::Organisation::default()).is_empty());
    }

    #[test]
    fn roles_and_ids_are_checked() {
        let mut v = Vec::new();
        assert_eq!(role_field(0, "role", &mut v), None);
        assert_eq!(role_field(99, "role", &mut v), None);
        assert_eq!(
            role_field(Role::Agent.to_proto(), "role", &mut v),
            Some(Role::Agent)
        );
        assert_eq!(uuid_field("", "user_id", &mut v), None);
        assert_eq!(uuid_field("nope", "user_id", &mut v), None);
        assert_eq!(optional_uuid("", "request_id", &mut v), None);
        let fields: Vec<_> = v.iter().map(|(f, d)| (f.as_str(), d.as_str())).collect();
        assert_eq!(
            fields,
            [
                ("role", "is required"),
                ("role", "is not a known role"),
                ("user_id", "is required"),
                ("user_id", "must be a UUID"),
            ]
        );
    }
}
