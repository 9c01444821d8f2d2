//! Agenda events: what a valid event is and who may see or change it.

use chrono::{DateTime, Duration, TimeZone as _, Utc};
use chrono_tz::Tz;
use uuid::Uuid;

/// Field violations: (path, description).
pub type Violations = Vec<(String, String)>;

/// Longest title, in characters.
pub const MAX_TITLE: usize = 200;
/// Longest description, in characters.
pub const MAX_DESCRIPTION: usize = 4000;
/// Longest location or cancellation reason, in characters.
pub const MAX_LOCATION: usize = 500;
/// Most attendees, users and e-mails together.
pub const MAX_ATTENDEES: usize = 100;
/// Most reminders.
pub const MAX_REMINDERS: usize = 10;
/// Longest reminder lead, four weeks in minutes.
pub const MAX_REMINDER_MINUTES: i32 = 4 * 7 * 24 * 60;
/// Longest event.
pub const MAX_EVENT_DAYS: i64 = 31;

/// Whether an event still takes place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Planned.
    Scheduled,
    /// Cancelled, kept for the history.
    Cancelled,
}

impl Status {
    /// Returns the stored text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Cancelled => "cancelled",
        }
    }

    /// Returns the status of a stored text form.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "scheduled" => Some(Self::Scheduled),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }
}

/// The fields of an event its owner chooses, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct EventData {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// The client it is with.
    pub client_id: Option<Uuid>,
    /// Start.
    pub start: DateTime<Utc>,
    /// End, after start.
    pub end: DateTime<Utc>,
    /// The zone it was entered in.
    pub time_zone: Tz,
    /// Where.
    pub location: String,
    /// Users attending besides the owner.
    pub attendee_user_ids: Vec<Uuid>,
    /// Attendees by e-mail.
    pub attendee_emails: Vec<String>,
    /// Reminders in minutes before the start, increasing.
    pub reminder_minutes: Vec<i32>,
}

/// An event of an agenda.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Id.
    pub id: Uuid,
    /// The organisation.
    pub organisation_id: Uuid,
    /// Whose agenda it is in.
    pub owner_user_id: Uuid,
    /// Its fields.
    pub data: EventData,
    /// Scheduled or cancelled.
    pub status: Status,
    /// Why it was cancelled.
    pub cancellation_reason: String,
    /// When it was cancelled.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version, 1 at creation.
    pub version: i64,
}

/// Unchecked event fields, as a request gives them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Draft {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Client id text.
    pub client_id: String,
    /// Start, when given and valid.
    pub start: Option<DateTime<Utc>>,
    /// End, when given and valid.
    pub end: Option<DateTime<Utc>>,
    /// Time zone name.
    pub time_zone: String,
    /// Location.
    pub location: String,
    /// User ids text.
    pub attendee_user_ids: Vec<String>,
    /// E-mails.
    pub attendee_emails: Vec<String>,
    /// Reminders.
    pub reminder_minutes: Vec<i32>,
}

/// Returns the draft of checked fields, for an update to start from.
pub fn draft_of(d: &EventData) -> Draft {
    Draft {
        title: d.title.clone(),
        description: d.description.clone(),
        client_id: d.client_id.map(|c| c.to_string()).unwrap_or_default(),
        start: Some(d.start),
        end: Some(d.end),
        time_zone: d.time_zone.name().to_owned(),
        location: d.location.clone(),
        attendee_user_ids: d.attendee_user_ids.iter().map(Uuid::to_string).collect(),
        attendee_emails: d.attendee_emails.clone(),
        reminder_minutes: d.reminder_minutes.clone(),
    }
}

/// Returns the IANA zone named `name`.
pub fn parse_zone(name: &str) -> Option<Tz> {
    name.trim().parse::<Tz>().ok()
}

/// Returns whether an instant lies in the years events may use (1970 to 2999).
pub fn is_plausible(t: DateTime<Utc>) -> bool {
    let low = Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).single();
    let high = Utc.with_ymd_and_hms(3000, 1, 1, 0, 0, 0).single();
    low.is_some_and(|l| t >= l) && high.is_some_and(|h| t < h)
}

fn text(value: &str, field: String, max: usize, required: bool, v: &mut Violations) -> String {
    let t = value.trim();
    if required && t.is_empty() {
        v.push((field, "is required".into()));
    } else if t.chars().count() > max {
        v.push((field, format!("must be at most {max} characters")));
    } else if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        v.push((field, "must not contain control characters".into()));
    }
    t.to_owned()
}

/// Checks a draft and returns the event fields, or every violation (paths under
/// `prefix`, added to those already in `v`, which a field is not reported twice in).
pub fn validate(d: Draft, prefix: &str, mut v: Violations) -> Result<EventData, Violations> {
    let field = |name: &str| format!("{prefix}.{name}");
    let title = text(&d.title, field("title"), MAX_TITLE, true, &mut v);
    let description = text(
        &d.description,
        field("description"),
        MAX_DESCRIPTION,
        false,
        &mut v,
    );
    let location = text(&d.location, field("location"), MAX_LOCATION, false, &mut v);
    let client_id = match d.client_id.trim() {
        "" => None,
        id => Uuid::parse_str(id)
            .map_err(|_| v.push((field("client_id"), "must be a UUID".into())))
            .ok(),
    };
    let time_zone = match d.time_zone.trim() {
        "" => {
            v.push((field("time_zone"), "is required".into()));
            None
        }
        name => {
            let zone = parse_zone(name);
            if zone.is_none() {
                v.push((
                    field("time_zone"),
                    format!("{name:?} is not an IANA time zone"),
                ));
            }
            zone
        }
    };
    for (name, t) in [("start_time", d.start), ("end_time", d.end)] {
        let path = field(name);
        match t {
            None if !v.iter().any(|(f, _)| *f == path) => v.push((path, "is required".into())),
            Some(t) if !is_plausible(t) => v.push((path, "must be between 1970 and 2999".into())),
            _ => {}
        }
    }
    if let (Some(start), Some(end)) = (d.start, d.end) {
        if end <= start {
            v.push((field("end_time"), "must be after start_time".into()));
        } else if end - start > Duration::days(MAX_EVENT_DAYS) {
            v.push((
                field("end_time"),
                format!("must be at most {MAX_EVENT_DAYS} days after start_time"),
            ));
        }
    }
    let attendee_user_ids = users(&d.attendee_user_ids, &field("attendee_user_ids"), &mut v);
    let attendee_emails = emails(&d.attendee_emails, &field("attendee_emails"), &mut v);
    if d.attendee_user_ids.len() + d.attendee_emails.len() > MAX_ATTENDEES {
        v.push((
            field("attendee_user_ids"),
            format!("at most {MAX_ATTENDEES} attendees in all"),
        ));
    }
    let reminder_minutes = reminders(&d.reminder_minutes, &field("reminder_minutes"), &mut v);
    match (v.is_empty(), time_zone, d.start, d.end) {
        (true, Some(time_zone), Some(start), Some(end)) => Ok(EventData {
            title,
            description,
            client_id,
            start,
            end,
            time_zone,
            location,
            attendee_user_ids,
            attendee_emails,
            reminder_minutes,
        }),
        _ => Err(v),
    }
}

fn users(ids: &[String], field: &str, v: &mut Violations) -> Vec<Uuid> {
    let mut out: Vec<Uuid> = Vec::with_capacity(ids.len());
    for (i, text) in ids.iter().enumerate() {
        match Uuid::parse_str(text.trim()) {
            Ok(id) if out.contains(&id) => {
                v.push((format!("{field}[{i}]"), "is listed twice".into()))
            }
            Ok(id) => out.push(id),
            Err(_) => v.push((format!("{field}[{i}]"), "must be a UUID".into())),
        }
    }
    out
}

fn emails(list: &[String], field: &str, v: &mut Violations) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for (i, text) in list.iter().enumerate() {
        match crm_shared::validate::validate_email(text) {
            Ok(email) => {
                let email = email.into_string();
                if out.iter().any(|e| e.eq_ignore_ascii_case(&email)) {
                    v.push((format!("{field}[{i}]"), "is listed twice".into()));
                } else {
                    out.push(email);
                }
            }
            Err(e) => v.push((format!("{field}[{i}]"), e.to_string())),
        }
    }
    out
}

fn reminders(list: &[i32], field: &str, v: &mut Violations) -> Vec<i32> {
    if list.len() > MAX_REMINDERS {
        v.push((
            field.to_owned(),
            format!("must have at most {MAX_REMINDERS} reminders"),
        ));
    }
    let mut out: Vec<i32> = Vec::with_capacity(list.len());
    for (i, m) in list.iter().enumerate() {
        if !(0..=MAX_REMINDER_MINUTES).contains(m) {
            v.push((
                format!("{field}[{i}]"),
                format!("must be 0 to {MAX_REMINDER_MINUTES} minutes"),
            ));
        } else if out.contains(m) {
            v.push((format!("{field}[{i}]"), "is listed twice".into()));
        } else {
            out.push(*m);
        }
    }
    out.sort_unstable();
    out
}

/// Which events a caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Every event of the organisation (owners, admins, managers).
    All,
    /// The events this user owns or attends.
    Own(Uuid),
}

impl Reach {
    /// Returns whether the caller may see `event`.
    pub fn sees(self, event: &Event) -> bool {
        match self {
            Reach::All => true,
            Reach::Own(me) => {
                event.owner_user_id == me || event.data.attendee_user_ids.contains(&me)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 30, h, 0, 0)
            .single()
            .expect("instant")
    }

    fn good() -> Draft {
        Draft {
            title: " Visit ".into(),
            start: Some(at(9)),
            end: Some(at(10)),
            time_zone: "Europe/Paris".into(),
            reminder_minutes: vec![60, 10],
            attendee_emails: vec!["Jean@Example.FR".into()],
            ..Draft::default()
        }
    }

    #[test]
    fn a_good_draft_is_normalised() {
        let data = validate(good(), "event", Vec::new()).expect("valid");
        assert_eq!(data.title, "Visit");
        assert_eq!(data.reminder_minutes, [10, 60]);
        assert_eq!(data.attendee_emails, ["Jean@example.fr"]);
        assert_eq!(data.time_zone, chrono_tz::Europe::Paris);
        assert_eq!(validate(draft_of(&data), "event", Vec::new()), Ok(data));
    }

    #[test]
    fn every_mistake_is_reported() {
        let id = Uuid::now_v7().to_string();
        let bad = Draft {
            title: String::new(),
            client_id: "nope".into(),
            start: Some(at(10)),
            end: Some(at(9)),
            time_zone: "Europe/Pariss".into(),
            attendee_user_ids: vec![id.clone(), id, "x".into()],
            attendee_emails: vec!["not-an-email".into(), "a@b.fr".into(), "A@B.FR".into()],
            reminder_minutes: vec![-1, 5, 5],
            ..Draft::default()
        };
        let v = validate(bad, "event", Vec::new()).expect_err("invalid");
        let fields: Vec<_> = v.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "event.title",
                "event.client_id",
                "event.time_zone",
                "event.end_time",
                "event.attendee_user_ids[1]",
                "event.attendee_user_ids[2]",
                "event.attendee_emails[0]",
                "event.attendee_emails[2]",
                "event.reminder_minutes[0]",
                "event.reminder_minutes[2]",
            ]
        );
    }

    #[test]
    fn missing_times_are_required_once() {
        let draft = Draft {
            start: None,
            end: None,
            ..good()
        };
        let already = vec![(
            "event.start_time".to_owned(),
            "is not a valid timestamp".to_owned(),
        )];
        let v = validate(draft, "event", already).expect_err("invalid");
        let fields: Vec<_> = v.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["event.start_time", "event.end_time"]);
        let long = Draft {
            end: Some(at(9) + Duration::days(40)),
            ..good()
        };
        assert!(validate(long, "event", Vec::new()).is_err());
    }

    #[test]
    fn reach_is_owner_attendees_or_everyone() {
        let owner = Uuid::now_v7();
        let guest = Uuid::now_v7();
        let mut data = validate(good(), "event", Vec::new()).expect("valid");
        data.attendee_user_ids = vec![guest];
        let event = Event {
            id: Uuid::now_v7(),
            organisation_id: Uuid::now_v7(),
            owner_user_id: owner,
            data,
            status: Status::Scheduled,
            cancellation_reason: String::new(),
            cancelled_at: None,
            created_at: at(8),
            updated_at: at(8),
            version: 1,
        };
        assert!(Reach::Own(owner).sees(&event));
        assert!(Reach::Own(guest).sees(&event));
        assert!(!Reach::Own(Uuid::now_v7()).sees(&event));
        assert!(Reach::All.sees(&event));
    }
}
