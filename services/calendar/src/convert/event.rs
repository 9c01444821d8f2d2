//! Agenda events: proto ↔ domain and update masks.

use chrono::SecondsFormat;
use crm_proto::calendar::v1 as pb;

use super::{Violations, from_timestamp, timestamp};
use crate::domain::{Draft, Event, Status};

/// Fields UpdateEvent may change, as update-mask paths.
const UPDATABLE: &[&str] = &[
    "title",
    "description",
    "client_id",
    "start_time",
    "end_time",
    "time_zone",
    "location",
    "attendee_user_ids",
    "attendee_emails",
    "reminder_minutes",
];

/// Returns the unchecked fields of a proto event; malformed timestamps are recorded in
/// `v` under `prefix` and left out.
pub fn draft_from_proto(p: &pb::Event, prefix: &str, v: &mut Violations) -> Draft {
    let time = |t: &Option<prost_types::Timestamp>, name: &str, v: &mut Violations| {
        t.as_ref()
            .and_then(|t| from_timestamp(t, &format!("{prefix}.{name}"), v))
            // Stored to the microsecond, as PostgreSQL keeps it.
            .map(|t| chrono::SubsecRound::trunc_subsecs(t, 6))
    };
    Draft {
        title: p.title.clone(),
        description: p.description.clone(),
        client_id: p.client_id.clone(),
        start: time(&p.start_time, "start_time", v),
        end: time(&p.end_time, "end_time", v),
        time_zone: p.time_zone.clone(),
        location: p.location.clone(),
        attendee_user_ids: p.attendee_user_ids.clone(),
        attendee_emails: p.attendee_emails.clone(),
        reminder_minutes: p.reminder_minutes.clone(),
    }
}

fn status_to_proto(s: Status) -> pb::EventStatus {
    match s {
        Status::Scheduled => pb::EventStatus::Scheduled,
        Status::Cancelled => pb::EventStatus::Cancelled,
    }
}

/// Returns the proto form of an event, with its wall-clock times in its zone.
pub fn event_to_proto(e: Event) -> pb::Event {
    let d = e.data;
    let local = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&d.time_zone)
            .to_rfc3339_opts(SecondsFormat::AutoSi, false)
    };
    pb::Event {
        id: e.id.to_string(),
        owner_user_id: e.owner_user_id.to_string(),
        local_start: local(d.start),
        local_end: local(d.end),
        title: d.title,
        description: d.description,
        client_id: d.client_id.map(|c| c.to_string()).unwrap_or_default(),
        start_time: Some(timestamp(d.start)),
        end_time: Some(timestamp(d.end)),
        time_zone: d.time_zone.name().to_owned(),
        location: d.location,
        attendee_user_ids: d.attendee_user_ids.iter().map(|u| u.to_string()).collect(),
        attendee_emails: d.attendee_emails,
        reminder_minutes: d.reminder_minutes,
        status: status_to_proto(e.status) as i32,
        cancellation_reason: e.cancellation_reason,
        cancel_time: e.cancelled_at.map(timestamp),
        create_time: Some(timestamp(e.created_at)),
        update_time: Some(timestamp(e.updated_at)),
        version: e.version,
    }
}

/// Returns the mask paths of every updatable field set in `p`, for an update without a
/// mask.
pub fn implicit_mask(p: &pb::Event) -> Vec<String> {
    let set = [
        ("title", !p.title.is_empty()),
        ("description", !p.description.is_empty()),
        ("client_id", !p.client_id.is_empty()),
        ("start_time", p.start_time.is_some()),
        ("end_time", p.end_time.is_some()),
        ("time_zone", !p.time_zone.is_empty()),
        ("location", !p.location.is_empty()),
        ("attendee_user_ids", !p.attendee_user_ids.is_empty()),
        ("attendee_emails", !p.attendee_emails.is_empty()),
        ("reminder_minutes", !p.reminder_minutes.is_empty()),
    ];
    set.iter()
        .filter(|(_, on)| *on)
        .map(|(name, _)| (*name).to_owned())
        .collect()
}

/// Copies the fields named by `paths` from `incoming` onto `target`; unknown or
/// read-only paths are recorded in `v`.
pub fn apply_mask(target: &mut Draft, incoming: &Draft, paths: &[String], v: &mut Violations) {
    for (i, path) in paths.iter().enumerate() {
        if !UPDATABLE.contains(&path.as_str()) {
            v.push((
                format!("update_mask.paths[{i}]"),
                format!("{path:?} is not a field that can be updated"),
            ));
            continue;
        }
        match path.as_str() {
            "title" => target.title = incoming.title.clone(),
            "description" => target.description = incoming.description.clone(),
            "client_id" => target.client_id = incoming.client_id.clone(),
            "start_time" => target.start = incoming.start,
            "end_time" => target.end = incoming.end,
            "time_zone" => target.time_zone = incoming.time_zone.clone(),
            "location" => target.location = incoming.location.clone(),
            "attendee_user_ids" => target.attendee_user_ids = incoming.attendee_user_ids.clone(),
            "attendee_emails" => target.attendee_emails = incoming.attendee_emails.clone(),
            _ => target.reminder_minutes = incoming.reminder_minutes.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_copy_named_fields_only() {
        let mut target = Draft {
            title: "Old".into(),
            location: "Lyon".into(),
            ..Draft::default()
        };
        let incoming = Draft {
            title: "New".into(),
            location: "Ignored".into(),
            ..Draft::default()
        };
        let mut v = Vec::new();
        let paths = ["title".into(), "id".into(), "status".into()];
        apply_mask(&mut target, &incoming, &paths, &mut v);
        assert_eq!(target.title, "New");
        assert_eq!(target.location, "Lyon");
        let fields: Vec<_> = v.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["update_mask.paths[1]", "update_mask.paths[2]"]);
    }

    #[test]
    fn the_implicit_mask_names_set_fields() {
        let p = pb::Event {
            title: "x".into(),
            reminder_minutes: vec![5],
            start_time: Some(prost_types::Timestamp::default()),
            ..Default::default()
        };
        assert_eq!(
            implicit_mask(&p),
            ["title", "start_time", "reminder_minutes"]
        );
    }
}
