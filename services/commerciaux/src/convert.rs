//! Conversions between the protobuf messages and the domain, with field-by-field checks
//! of what protobuf cannot express (enums in range, ids, dates, masks).

use crm_proto::commerciaux::v1 as pb;

use crate::domain::{Commercial, CommercialData, Status};

pub use crm_kit::convert::{
    Violations, date_from_proto, date_to_proto, optional_uuid, timestamp, uuid_field,
};

fn optional_text(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Returns the status of a proto value (`None` for unspecified or unknown).
pub fn status_from_proto(value: i32) -> Option<Status> {
    match pb::CommercialStatus::try_from(value).ok()? {
        pb::CommercialStatus::Active => Some(Status::Active),
        pb::CommercialStatus::Inactive => Some(Status::Inactive),
        pb::CommercialStatus::Unspecified => None,
    }
}

/// Returns the proto value of a status.
pub fn status_to_proto(s: Status) -> pb::CommercialStatus {
    match s {
        Status::Active => pb::CommercialStatus::Active,
        Status::Inactive => pb::CommercialStatus::Inactive,
    }
}

/// Returns the fields of a proto commercial (before the domain's own checks), with
/// `default_status` when none is given. Every malformed field is recorded in `v`.
pub fn data_from_proto(
    p: &pb::Commercial,
    prefix: &str,
    default_status: Status,
    v: &mut Violations,
) -> CommercialData {
    let field = |name: &str| format!("{prefix}.{name}");
    let status = if p.status == 0 {
        default_status
    } else {
        status_from_proto(p.status).unwrap_or_else(|| {
            v.push((field("status"), "is not a known status".into()));
            default_status
        })
    };
    CommercialData {
        code: p.code.clone(),
        first_name: p.first_name.clone(),
        last_name: p.last_name.clone(),
        email: optional_text(&p.email),
        phone: optional_text(&p.phone),
        user_id: optional_uuid(&p.user_id, &field("user_id"), v),
        manager_id: optional_uuid(&p.manager_id, &field("manager_id"), v),
        team: p.team.clone(),
        status,
        commission_plan_id: optional_uuid(&p.commission_plan_id, &field("commission_plan_id"), v),
        hire_date: p
            .hire_date
            .as_ref()
            .and_then(|d| date_from_proto(d, &field("hire_date"), v)),
    }
}

/// Returns the proto form of a commercial.
pub fn commercial_to_proto(c: &Commercial) -> pb::Commercial {
    commercial_into_proto(c.clone())
}

/// Returns the proto form of a commercial, moving its fields rather than copying them.
pub fn commercial_into_proto(c: Commercial) -> pb::Commercial {
    let d = c.data;
    let id = |u: Option<uuid::Uuid>| u.map(|u| u.to_string()).unwrap_or_default();
    pb::Commercial {
        id: c.id.to_string(),
        code: d.code,
        first_name: d.first_name,
        last_name: d.last_name,
        email: d.email.unwrap_or_default(),
        phone: d.phone.unwrap_or_default(),
        user_id: id(d.user_id),
        manager_id: id(d.manager_id),
        team: d.team,
        status: status_to_proto(d.status) as i32,
        commission_plan_id: id(d.commission_plan_id),
        hire_date: d.hire_date.map(date_to_proto),
        create_time: Some(timestamp(c.created_at)),
        update_time: Some(timestamp(c.updated_at)),
        version: c.version,
    }
}

/// Fields UpdateCommercial may change, as update-mask paths.
const UPDATABLE: &[&str] = &[
    "code",
    "first_name",
    "last_name",
    "email",
    "phone",
    "user_id",
    "manager_id",
    "team",
    "commission_plan_id",
    "hire_date",
];

/// Returns the mask paths of every updatable field set in `p`, for an update without a
/// mask.
pub fn implicit_mask(p: &pb::Commercial) -> Vec<String> {
    let mut paths = Vec::new();
    let mut add = |set: bool, name: &str| {
        if set {
            paths.push(name.to_owned());
        }
    };
    add(!p.code.is_empty(), "code");
    add(!p.first_name.is_empty(), "first_name");
    add(!p.last_name.is_empty(), "last_name");
    add(!p.email.is_empty(), "email");
    add(!p.phone.is_empty(), "phone");
    add(!p.user_id.is_empty(), "user_id");
    add(!p.manager_id.is_empty(), "manager_id");
    add(!p.team.is_empty(), "team");
    add(!p.commission_plan_id.is_empty(), "commission_plan_id");
    add(p.hire_date.is_some(), "hire_date");
    paths
}

/// Copies the fields named by `paths` from `incoming` onto `target`. Unknown or
/// immutable paths are recorded in `v`.
pub fn apply_mask(
    target: &mut pb::Commercial,
    incoming: &pb::Commercial,
    paths: &[String],
    v: &mut Violations,
) {
    for (i, path) in paths.iter().enumerate() {
        let problem = match path.as_str() {
            "status" => Some("is changed by DeactivateCommercial only".to_owned()),
            p if UPDATABLE.contains(&p) => None,
            _ => Some(format!("{path:?} is not a field that can be updated")),
        };
        if let Some(problem) = problem {
            v.push((format!("update_mask.paths[{i}]"), problem));
            continue;
        }
        let (t, s) = (&mut *target, incoming);
        match path.as_str() {
            "code" => t.code = s.code.clone(),
            "first_name" => t.first_name = s.first_name.clone(),
            "last_name" => t.last_name = s.last_name.clone(),
            "email" => t.email = s.email.clone(),
            "phone" => t.phone = s.phone.clone(),
            "user_id" => t.user_id = s.user_id.clone(),
            "manager_id" => t.manager_id = s.manager_id.clone(),
            "team" => t.team = s.team.clone(),
            "commission_plan_id" => t.commission_plan_id = s.commission_plan_id.clone(),
            _ => t.hire_date = s.hire_date,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_copy_named_fields_only() {
        let mut target = pb::Commercial {
            first_name: "Old".into(),
            last_name: "Name".into(),
            ..Default::default()
        };
        let incoming = pb::Commercial {
            first_name: "New".into(),
            last_name: "Ignored".into(),
            manager_id: "m".into(),
            ..Default::default()
        };
        let mut v = Vec::new();
        apply_mask(
            &mut target,
            &incoming,
            &[
                "first_name".into(),
                "manager_id".into(),
                "id".into(),
                "status".into(),
            ],
            &mut v,
        );
        assert_eq!(target.first_name, "New");
        assert_eq!(target.last_name, "Name");
        assert_eq!(target.manager_id, "m");
        let fields: Vec<_> = v.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["update_mask.paths[2]", "update_mask.paths[3]"]);
    }

    #[test]
    fn the_implicit_mask_names_set_fields() {
        let p = pb::Commercial {
            id: "x".into(),
            team: "Nord".into(),
            manager_id: "m".into(),
            status: 2,
            version: 3,
            ..Default::default()
        };
        assert_eq!(implicit_mask(&p), ["manager_id", "team"]);
    }

    #[test]
    fn malformed_ids_dates_and_statuses_are_violations() {
        let p = pb::Commercial {
            user_id: "nope".into(),
            manager_id: "nope".into(),
            commission_plan_id: "nope".into(),
            status: 9,
            hire_date: Some(crm_proto::common::v1::Date {
                year: 2026,
                month: 2,
                day: 30,
            }),
            ..Default::default()
        };
        let mut v = Vec::new();
        let d = data_from_proto(&p, "commercial", Status::Active, &mut v);
        assert_eq!(d.status, Status::Active);
        let mut fields: Vec<_> = v.iter().map(|(f, _)| f.as_str()).collect();
        fields.sort();
        assert_eq!(
            fields,
            [
                "commercial.commission_plan_id",
                "commercial.hire_date",
                "commercial.manager_id",
                "commercial.status",
                "commercial.user_id",
            ]
        );
    }
}
