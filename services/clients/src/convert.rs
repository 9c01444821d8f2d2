//! Conversions between the protobuf messages and the domain, with field-by-field checks
//! of what protobuf cannot express (enums in range, ids, dates, masks).

mod contact;
mod opportunity;

use crm_proto::clients::v1 as pb;
use crm_proto::common::v1 as common;

use crate::domain::duplicates::Reason;
use crate::domain::{Address, Civility, Client, ClientData, Kind, Status};

pub use contact::{
    apply_contact_mask, contact_data_from_proto, contact_implicit_mask, contact_to_proto,
};
pub use opportunity::{
    amount_from_proto, apply_opportunity_mask, opportunity_data_from_proto,
    opportunity_implicit_mask, opportunity_to_proto, stage_from_proto,
};

pub use crm_kit::convert::{
    Violations, date_from_proto, date_to_proto, from_timestamp, optional_uuid, timestamp,
    uuid_field,
};

fn optional_text(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn address_from_proto(a: &common::Address) -> Address {
    Address {
        line1: a.line1.clone(),
        line2: a.line2.clone(),
        postal_code: a.postal_code.clone(),
        city: a.city.clone(),
        region: a.region.clone(),
        country_code: a.country_code.clone(),
    }
}

/// Returns the proto form of an address.
pub fn address_to_proto(a: &Address) -> common::Address {
    common::Address {
        line1: a.line1.clone(),
        line2: a.line2.clone(),
        postal_code: a.postal_code.clone(),
        city: a.city.clone(),
        region: a.region.clone(),
        country_code: a.country_code.clone(),
    }
}

/// Returns the kind of a proto value.
pub fn kind_from_proto(value: i32) -> Option<Kind> {
    match pb::ClientKind::try_from(value).ok()? {
        pb::ClientKind::Person => Some(Kind::Person),
        pb::ClientKind::Company => Some(Kind::Company),
        pb::ClientKind::Unspecified => None,
    }
}

/// Returns the status of a proto value (`None` for unspecified or unknown).
pub fn status_from_proto(value: i32) -> Option<Status> {
    match pb::ClientStatus::try_from(value).ok()? {
        pb::ClientStatus::Prospect => Some(Status::Prospect),
        pb::ClientStatus::Active => Some(Status::Active),
        pb::ClientStatus::Inactive => Some(Status::Inactive),
        pb::ClientStatus::Archived => Some(Status::Archived),
        pb::ClientStatus::Unspecified => None,
    }
}

fn status_to_proto(s: Status) -> pb::ClientStatus {
    match s {
        Status::Prospect => pb::ClientStatus::Prospect,
        Status::Active => pb::ClientStatus::Active,
        Status::Inactive => pb::ClientStatus::Inactive,
        Status::Archived => pb::ClientStatus::Archived,
    }
}

fn civility_from_proto(value: i32, field: &str, v: &mut Violations) -> Option<Civility> {
    match pb::Civility::try_from(value) {
        Ok(pb::Civility::Unspecified) => None,
        Ok(pb::Civility::Mr) => Some(Civility::Mr),
        Ok(pb::Civility::Mrs) => Some(Civility::Mrs),
        Ok(pb::Civility::Mx) => Some(Civility::Mx),
        Err(_) => {
            v.push((field.to_owned(), "is not a known civility".into()));
            None
        }
    }
}

/// Returns the proto form of a civility.
pub fn civility_to_proto(c: Option<Civility>) -> pb::Civility {
    match c {
        None => pb::Civility::Unspecified,
        Some(Civility::Mr) => pb::Civility::Mr,
        Some(Civility::Mrs) => pb::Civility::Mrs,
        Some(Civility::Mx) => pb::Civility::Mx,
    }
}

/// Returns the client fields of a proto client (before the domain's own checks), with
/// `default_status` when none is given. Every malformed field is recorded in `v`.
pub fn data_from_proto(
    p: &pb::Client,
    prefix: &str,
    default_status: Status,
    v: &mut Violations,
) -> Option<ClientData> {
    let field = |name: &str| format!("{prefix}.{name}");
    let kind = kind_from_proto(p.kind);
    if kind.is_none() {
        v.push((field("kind"), "must be PERSON or COMPANY".into()));
    }
    let status = if p.status == 0 {
        Some(default_status)
    } else {
        let s = status_from_proto(p.status);
        if s.is_none() {
            v.push((field("status"), "is not a known status".into()));
        }
        s
    };
    let civility = civility_from_proto(p.civility, &field("civility"), v);
    let birth_date = p
        .birth_date
        .as_ref()
        .and_then(|d| date_from_proto(d, &field("birth_date"), v));
    let commercial_id = optional_uuid(&p.commercial_id, &field("commercial_id"), v);
    Some(ClientData {
        kind: kind?,
        civility,
        first_name: p.first_name.clone(),
        last_name: p.last_name.clone(),
        company_name: p.company_name.clone(),
        siren: optional_text(&p.siren),
        siret: optional_text(&p.siret),
        email: optional_text(&p.email),
        phone: optional_text(&p.phone),
        birth_date,
        postal_address: p.postal_address.as_ref().map(address_from_proto),
        billing_address: p.billing_address.as_ref().map(address_from_proto),
        status: status?,
        commercial_id,
        tags: p.tags.clone(),
        source: p.source.clone(),
        custom_fields: p.custom_fields.clone().into_iter().collect(),
    })
}

/// Returns the proto form of a client.
pub fn client_to_proto(c: &Client) -> pb::Client {
    client_into_proto(c.clone())
}

/// Returns the proto form of a client, moving its fields rather than copying them.
pub fn client_into_proto(c: Client) -> pb::Client {
    let d = c.data;
    pb::Client {
        id: c.id.to_string(),
        kind: kind_to_proto(d.kind) as i32,
        civility: civility_to_proto(d.civility) as i32,
        first_name: d.first_name,
        last_name: d.last_name,
        company_name: d.company_name,
        siren: d.siren.unwrap_or_default(),
        siret: d.siret.unwrap_or_default(),
        email: d.email.unwrap_or_default(),
        phone: d.phone.unwrap_or_default(),
        birth_date: d.birth_date.map(date_to_proto),
        postal_address: d.postal_address.as_ref().map(address_to_proto),
        billing_address: d.billing_address.as_ref().map(address_to_proto),
        status: status_to_proto(d.status) as i32,
        commercial_id: d.commercial_id.map(|c| c.to_string()).unwrap_or_default(),
        tags: d.tags,
        source: d.source,
        custom_fields: d.custom_fields.into_iter().collect(),
        create_time: Some(timestamp(c.created_at)),
        update_time: Some(timestamp(c.updated_at)),
        version: c.version,
        merged_into_id: c.merged_into.map(|m| m.to_string()).unwrap_or_default(),
    }
}

/// Returns the proto form of a kind.
pub fn kind_to_proto(k: Kind) -> pb::ClientKind {
    match k {
        Kind::Person => pb::ClientKind::Person,
        Kind::Company => pb::ClientKind::Company,
    }
}

/// Returns the proto form of a duplicate reason.
pub fn reason_to_proto(r: Reason) -> pb::DuplicateReason {
    match r {
        Reason::SameEmail => pb::DuplicateReason::SameEmail,
        Reason::SameSiret => pb::DuplicateReason::SameSiret,
        Reason::SameNameAndBirthDate => pb::DuplicateReason::SameNameAndBirthDate,
    }
}

/// Returns what a contract and its invoices need to know of a client: its names,
/// identifiers, contact details and where invoices go (the billing address, or the
/// postal address when there is none).
pub fn billing_details(c: &Client) -> pb::BillingDetails {
    let d = &c.data;
    pb::BillingDetails {
        kind: kind_to_proto(d.kind) as i32,
        display_name: d.display_name(),
        civility: civility_to_proto(d.civility) as i32,
        first_name: d.first_name.clone(),
        last_name: d.last_name.clone(),
        company_name: d.company_name.clone(),
        siren: d.siren.clone().unwrap_or_default(),
        siret: d.siret.clone().unwrap_or_default(),
        email: d.email.clone().unwrap_or_default(),
        phone: d.phone.clone().unwrap_or_default(),
        billing_address: d
            .billing_address
            .as_ref()
            .or(d.postal_address.as_ref())
            .map(address_to_proto),
    }
}

/// Fields UpdateClient may change, as update-mask paths.
const UPDATABLE: &[&str] = &[
    "civility",
    "first_name",
    "last_name",
    "company_name",
    "siren",
    "siret",
    "email",
    "phone",
    "birth_date",
    "postal_address",
    "billing_address",
    "status",
    "commercial_id",
    "tags",
    "source",
    "custom_fields",
];

const ADDRESS_FIELDS: &[&str] = &[
    "line1",
    "line2",
    "postal_code",
    "city",
    "region",
    "country_code",
];

/// Returns the mask paths of every field set in `p`, for an update without a mask.
pub fn implicit_mask(p: &pb::Client) -> Vec<String> {
    let d = pb::Client::default();
    let mut paths = Vec::new();
    let mut add = |set: bool, name: &str| {
        if set {
            paths.push(name.to_owned());
        }
    };
    add(p.civility != d.civility, "civility");
    add(!p.first_name.is_empty(), "first_name");
    add(!p.last_name.is_empty(), "last_name");
    add(!p.company_name.is_empty(), "company_name");
    add(!p.siren.is_empty(), "siren");
    add(!p.siret.is_empty(), "siret");
    add(!p.email.is_empty(), "email");
    add(!p.phone.is_empty(), "phone");
    add(p.birth_date.is_some(), "birth_date");
    add(p.postal_address.is_some(), "postal_address");
    add(p.billing_address.is_some(), "billing_address");
    add(p.status != 0, "status");
    add(!p.commercial_id.is_empty(), "commercial_id");
    add(!p.tags.is_empty(), "tags");
    add(!p.source.is_empty(), "source");
    add(!p.custom_fields.is_empty(), "custom_fields");
    paths
}

/// Copies the fields named by `paths` from `incoming` onto `target`. Unknown or
/// immutable paths are recorded in `v`.
pub fn apply_mask(
    target: &mut pb::Client,
    incoming: &pb::Client,
    paths: &[String],
    v: &mut Violations,
) {
    for (i, path) in paths.iter().enumerate() {
        let (head, tail) = match path.split_once('.') {
            Some((h, t)) => (h, Some(t)),
            None => (path.as_str(), None),
        };
        if !UPDATABLE.contains(&head) {
            v.push((
                format!("update_mask.paths[{i}]"),
                format!("{path:?} is not a field that can be updated"),
            ));
            continue;
        }
        match (head, tail) {
            ("postal_address" | "billing_address", Some(sub)) => {
                if !ADDRESS_FIELDS.contains(&sub) {
                    v.push((
                        format!("update_mask.paths[{i}]"),
                        format!("{path:?} is not an address field"),
                    ));
                    continue;
                }
                let (dst, src) = if head == "postal_address" {
                    (&mut target.postal_address, &incoming.postal_address)
                } else {
                    (&mut target.billing_address, &incoming.billing_address)
                };
                let src = src.clone().unwrap_or_default();
                let dst = dst.get_or_insert_with(common::Address::default);
                match sub {
                    "line1" => dst.line1 = src.line1,
                    "line2" => dst.line2 = src.line2,
                    "postal_code" => dst.postal_code = src.postal_code,
                    "city" => dst.city = src.city,
                    "region" => dst.region = src.region,
                    _ => dst.country_code = src.country_code,
                }
            }
            (_, Some(_)) => {
                v.push((
                    format!("update_mask.paths[{i}]"),
                    format!("{path:?} has no sub-fields"),
                ));
            }
            (name, None) => copy_field(target, incoming, name),
        }
    }
}

fn copy_field(t: &mut pb::Client, s: &pb::Client, name: &str) {
    match name {
        "civility" => t.civility = s.civility,
        "first_name" => t.first_name = s.first_name.clone(),
        "last_name" => t.last_name = s.last_name.clone(),
        "company_name" => t.company_name = s.company_name.clone(),
        "siren" => t.siren = s.siren.clone(),
        "siret" => t.siret = s.siret.clone(),
        "email" => t.email = s.email.clone(),
        "phone" => t.phone = s.phone.clone(),
        "birth_date" => t.birth_date = s.birth_date,
        "postal_address" => t.postal_address = s.postal_address.clone(),
        "billing_address" => t.billing_address = s.billing_address.clone(),
        "status" => t.status = s.status,
        "commercial_id" => t.commercial_id = s.commercial_id.clone(),
        "tags" => t.tags = s.tags.clone(),
        "source" => t.source = s.source.clone(),
        _ => t.custom_fields = s.custom_fields.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_copy_named_fields_only() {
        let mut target = pb::Client {
            first_name: "Old".into(),
            last_name: "Name".into(),
            ..Default::default()
        };
        let incoming = pb::Client {
            first_name: "New".into(),
            last_name: "Ignored".into(),
            postal_address: Some(common::Address {
                city: "Lyon".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut v = Vec::new();
        apply_mask(
            &mut target,
            &incoming,
            &[
                "first_name".into(),
                "postal_address.city".into(),
                "id".into(),
                "kind".into(),
            ],
            &mut v,
        );
        assert_eq!(target.first_name, "New");
        assert_eq!(target.last_name, "Name");
        assert_eq!(target.postal_address.map(|a| a.city), Some("Lyon".into()));
        let fields: Vec<_> = v.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["update_mask.paths[2]", "update_mask.paths[3]"]);
    }

    #[test]
    fn the_implicit_mask_names_set_fields() {
        let p = pb::Client {
            email: "a@b.fr".into(),
            tags: vec!["x".into()],
            ..Default::default()
        };
        assert_eq!(implicit_mask(&p), ["email", "tags"]);
    }

    #[test]
    fn bad_dates_and_ids_are_violations() {
        let mut v = Vec::new();
        let d = common::Date {
            year: 2026,
            month: 2,
            day: 30,
        };
        assert_eq!(date_from_proto(&d, "client.birth_date", &mut v), None);
        assert_eq!(optional_uuid("nope", "client.commercial_id", &mut v), None);
        assert_eq!(optional_uuid("", "client.commercial_id", &mut v), None);
        assert_eq!(v.len(), 2);
    }
}
