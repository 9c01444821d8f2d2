//! Conversions between the protobuf messages and the domain, with field-by-field checks
//! of what protobuf cannot express (enums in range, ids, times, subjects).

use crm_proto::activites::v1 as pb;

use crate::domain::{self, Activity, Details, Direction, Subject, TaskStatus};

pub use crm_kit::convert::{Violations, from_timestamp, optional_uuid, timestamp, uuid_field};

/// Returns the subject of a proto reference, recording violations under `field`.
pub fn subject_from_proto(
    r: &pb::AggregateRef,
    field: &str,
    v: &mut Violations,
) -> Option<Subject> {
    let kind = r.kind.trim();
    let kind_ok = domain::check_subject_kind(kind, &format!("{field}.kind"), v);
    let id = uuid_field(&r.id, &format!("{field}.id"), v);
    match (kind_ok, id) {
        (true, Some(id)) => Some(Subject {
            kind: kind.to_owned(),
            id: id.to_string(),
        }),
        _ => None,
    }
}

/// Returns the direction of a proto value, recording a violation at `field`.
pub fn direction_from_proto(value: i32, field: &str, v: &mut Violations) -> Option<Direction> {
    match pb::CallDirection::try_from(value) {
        Ok(pb::CallDirection::Inbound) => Some(Direction::Inbound),
        Ok(pb::CallDirection::Outbound) => Some(Direction::Outbound),
        Ok(pb::CallDirection::Unspecified) => {
            v.push((field.to_owned(), "is required".into()));
            None
        }
        Err(_) => {
            v.push((field.to_owned(), "is not a known direction".into()));
            None
        }
    }
}

/// Returns the status filter of a proto value (`None` for any), recording a violation
/// at `field` when unknown.
pub fn status_filter(value: i32, field: &str, v: &mut Violations) -> Option<TaskStatus> {
    match pb::TaskStatus::try_from(value) {
        Ok(pb::TaskStatus::Open) => Some(TaskStatus::Open),
        Ok(pb::TaskStatus::Completed) => Some(TaskStatus::Completed),
        Ok(pb::TaskStatus::Unspecified) => None,
        Err(_) => {
            v.push((field.to_owned(), "is not a known status".into()));
            None
        }
    }
}

fn kind_to_proto(d: &Details) -> pb::ActivityKind {
    match d {
        Details::Note => pb::ActivityKind::Note,
        Details::Call { .. } => pb::ActivityKind::Call,
        Details::Task(_) => pb::ActivityKind::Task,
        Details::System(_) => pb::ActivityKind::System,
    }
}

fn id_text(id: Option<uuid::Uuid>) -> String {
    id.map(|u| u.to_string()).unwrap_or_default()
}

/// Returns the proto form of an activity.
pub fn activity_to_proto(a: Activity) -> pb::Activity {
    let kind = kind_to_proto(&a.details) as i32;
    let details = match a.details {
        Details::Note => None,
        Details::Call {
            direction,
            duration_seconds,
        } => Some(pb::activity::Details::Call(pb::CallDetails {
            direction: match direction {
                Direction::Inbound => pb::CallDirection::Inbound,
                Direction::Outbound => pb::CallDirection::Outbound,
            } as i32,
            duration_seconds,
            outcome: a.body.clone(),
        })),
        Details::Task(t) => Some(pb::activity::Details::Task(pb::TaskDetails {
            title: t.title,
            due_time: Some(timestamp(t.due_at)),
            assignee_user_id: t.assignee.to_string(),
            status: match t.status {
                TaskStatus::Open => pb::TaskStatus::Open,
                TaskStatus::Completed => pb::TaskStatus::Completed,
            } as i32,
            complete_time: t.completed_at.map(timestamp),
            completed_by_user_id: id_text(t.completed_by),
        })),
        Details::System(s) => Some(pb::activity::Details::System(pb::SystemDetails {
            event_type: s.event_type,
            event_id: s.event_id.to_string(),
            aggregate_id: s.aggregate_id,
        })),
    };
    pb::Activity {
        id: a.id.to_string(),
        kind,
        subject: Some(pb::AggregateRef {
            kind: a.subject.kind,
            id: a.subject.id,
        }),
        client_id: id_text(a.client_id),
        author_user_id: id_text(a.author),
        body: a.body,
        occur_time: Some(timestamp(a.occurred_at)),
        create_time: Some(timestamp(a.created_at)),
        details,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_need_a_kind_and_a_uuid() {
        let mut v = Vec::new();
        let ok = pb::AggregateRef {
            kind: "contract".into(),
            id: uuid::Uuid::now_v7().to_string(),
        };
        assert!(subject_from_proto(&ok, "subject", &mut v).is_some());
        let bad = pb::AggregateRef {
            kind: "Contract!".into(),
            id: "nope".into(),
        };
        assert!(subject_from_proto(&bad, "subject", &mut v).is_none());
        let fields: Vec<_> = v.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["subject.kind", "subject.id"]);
    }

    #[test]
    fn enums_out_of_range_are_violations() {
        let mut v = Vec::new();
        assert_eq!(direction_from_proto(0, "direction", &mut v), None);
        assert_eq!(direction_from_proto(9, "direction", &mut v), None);
        assert_eq!(
            direction_from_proto(2, "direction", &mut v),
            Some(Direction::Outbound)
        );
        assert_eq!(status_filter(0, "status", &mut v), None);
        assert_eq!(status_filter(7, "status", &mut v), None);
        assert_eq!(v.len(), 3);
    }
}
