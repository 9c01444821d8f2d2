//! The rules of an activity, free of I/O: its kinds, what a valid note, call and task
//! is, and how a business event becomes a system activity's summary.

use chrono::{DateTime, Utc};
use uuid::Uuid;

mod validate;

pub use validate::{
    MAX_BODY, MAX_CALL_SECONDS, MAX_OUTCOME, MAX_TITLE, check_subject_kind, text_field,
};

/// What an activity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A free-text note.
    Note,
    /// A phone call.
    Call,
    /// A task to do.
    Task,
    /// Written for a business event.
    System,
}

/// Who called whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The client called.
    Inbound,
    /// The client was called.
    Outbound,
}

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    /// To do.
    Open,
    /// Done.
    Completed,
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

text_enum!(Kind { Note = "note", Call = "call", Task = "task", System = "system" });
text_enum!(Direction { Inbound = "inbound", Outbound = "outbound" });
text_enum!(TaskStatus { Open = "open", Completed = "completed" });

/// The aggregate an activity is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// Lowercase kind: "client", "contract", ...
    pub kind: String,
    /// The aggregate's id.
    pub id: String,
}

impl Subject {
    /// Returns the subject naming client `id`.
    pub fn client(id: Uuid) -> Self {
        Self {
            kind: "client".into(),
            id: id.to_string(),
        }
    }
}

/// The fields of a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// What to do.
    pub title: String,
    /// When it is due.
    pub due_at: DateTime<Utc>,
    /// Who should do it.
    pub assignee: Uuid,
    /// Open or completed.
    pub status: TaskStatus,
    /// When it was completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// Who completed it.
    pub completed_by: Option<Uuid>,
}

/// The event a system activity records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemEvent {
    /// Its type, "client.created".
    pub event_type: String,
    /// Its id.
    pub event_id: Uuid,
    /// The aggregate it is about.
    pub aggregate_id: String,
}

/// The kind of an activity with the fields of that kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Details {
    /// A note: its text is the body.
    Note,
    /// A call: its outcome is the body.
    Call {
        /// Who called whom.
        direction: Direction,
        /// Length in seconds.
        duration_seconds: i32,
    },
    /// A task.
    Task(Task),
    /// A system activity.
    System(SystemEvent),
}

impl Details {
    /// Returns the kind.
    pub fn kind(&self) -> Kind {
        match self {
            Details::Note => Kind::Note,
            Details::Call { .. } => Kind::Call,
            Details::Task(_) => Kind::Task,
            Details::System(_) => Kind::System,
        }
    }
}

/// A stored activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// UUIDv7.
    pub id: Uuid,
    /// The owning organisation.
    pub organisation_id: Uuid,
    /// What it is about.
    pub subject: Subject,
    /// The client it concerns.
    pub client_id: Option<Uuid>,
    /// Who wrote it.
    pub author: Option<Uuid>,
    /// Note text, call outcome, task description or system summary.
    pub body: String,
    /// The kind's fields.
    pub details: Details,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

impl Activity {
    /// Returns the activity completed by `user` at `now`, or why it cannot be.
    pub fn complete(&self, user: Uuid, now: DateTime<Utc>) -> Result<Activity, &'static str> {
        let Details::Task(task) = &self.details else {
            return Err("the activity is not a task");
        };
        if task.status == TaskStatus::Completed {
            return Err("the task is already completed");
        }
        let mut next = self.clone();
        next.details = Details::Task(Task {
            status: TaskStatus::Completed,
            completed_at: Some(now),
            completed_by: Some(user),
            ..task.clone()
        });
        Ok(next)
    }
}

/// Returns the summary of an event type: "client.created" -> "client created",
/// "credit_note.issued" -> "credit note issued".
pub fn summary(event_type: &str) -> String {
    event_type.replace(['.', '_'], " ")
}

/// Returns the kind of aggregate an event type is about: its first segment.
pub fn aggregate_kind(event_type: &str) -> String {
    event_type
        .split('.')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or("event")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(status: TaskStatus) -> Activity {
        let now = Utc::now();
        Activity {
            id: Uuid::now_v7(),
            organisation_id: Uuid::now_v7(),
            subject: Subject::client(Uuid::now_v7()),
            client_id: None,
            author: None,
            body: String::new(),
            details: Details::Task(Task {
                title: "call back".into(),
                due_at: now,
                assignee: Uuid::now_v7(),
                status,
                completed_at: None,
                completed_by: None,
            }),
            occurred_at: now,
            created_at: now,
        }
    }

    #[test]
    fn an_open_task_completes_once() {
        let user = Uuid::now_v7();
        let now = Utc::now();
        let done = task(TaskStatus::Open).complete(user, now).expect("open");
        match &done.details {
            Details::Task(t) => {
                assert_eq!(t.status, TaskStatus::Completed);
                assert_eq!(t.completed_by, Some(user));
                assert_eq!(t.completed_at, Some(now));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            done.complete(user, now),
            Err("the task is already completed")
        );
    }

    #[test]
    fn only_tasks_complete() {
        let mut note = task(TaskStatus::Open);
        note.details = Details::Note;
        assert_eq!(
            note.complete(Uuid::now_v7(), Utc::now()),
            Err("the activity is not a task")
        );
    }

    #[test]
    fn summaries_read_like_the_event_type() {
        assert_eq!(summary("client.created"), "client created");
        assert_eq!(summary("credit_note.issued"), "credit note issued");
        assert_eq!(aggregate_kind("credit_note.issued"), "credit_note");
        assert_eq!(aggregate_kind(""), "event");
    }

    #[test]
    fn text_forms_round_trip() {
        for k in [Kind::Note, Kind::Call, Kind::Task, Kind::System] {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        for d in [Direction::Inbound, Direction::Outbound] {
            assert_eq!(Direction::parse(d.as_str()), Some(d));
        }
        for s in [TaskStatus::Open, TaskStatus::Completed] {
            assert_eq!(TaskStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(Kind::parse("email"), None);
    }
}
