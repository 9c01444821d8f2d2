//! Conversions every service makes between protobuf fields and Rust values, recording a
//! field violation (path, description) for each malformed input so a request's
//! mistakes are reported together.

use chrono::{DateTime, NaiveDate, Utc};
use tonic::Status;
use uuid::Uuid;

use crate::auth::context::Role;

/// Field violations: (path, description).
pub type Violations = Vec<(String, String)>;

/// Returns `Ok(())` when nothing was recorded, otherwise `INVALID_ARGUMENT` listing all.
pub fn check(v: Violations) -> Result<(), Status> {
    if v.is_empty() {
        Ok(())
    } else {
        Err(crate::error::bad_request(v))
    }
}

/// Returns the UUID in `text`, recording a violation at `field` when it is empty or
/// malformed.
pub fn uuid_field(text: &str, field: &str, v: &mut Violations) -> Option<Uuid> {
    let text = text.trim();
    if text.is_empty() {
        v.push((field.to_owned(), "is required".into()));
        return None;
    }
    match Uuid::parse_str(text) {
        Ok(id) => Some(id),
        Err(_) => {
            v.push((field.to_owned(), "must be a UUID".into()));
            None
        }
    }
}

/// Returns the UUID in `text`, `None` when empty, recording a violation when malformed.
pub fn optional_uuid(text: &str, field: &str, v: &mut Violations) -> Option<Uuid> {
    if text.trim().is_empty() {
        None
    } else {
        uuid_field(text, field, v)
    }
}

/// Returns the id of a request that names one resource and nothing else to check, or
/// `INVALID_ARGUMENT` naming `field`.
pub fn required_id(text: &str, field: &str) -> Result<Uuid, Status> {
    let mut v = Violations::new();
    match uuid_field(text, field, &mut v) {
        Some(id) => Ok(id),
        None => Err(crate::error::bad_request(v)),
    }
}

/// Returns the role of a `crm.common.v1.Role` value, recording a violation when it is
/// unspecified or unknown.
pub fn role_field(value: i32, field: &str, v: &mut Violations) -> Option<Role> {
    let role = Role::from_proto(value);
    if role.is_none() {
        let problem = if value == 0 {
            "is required"
        } else {
            "is not a known role"
        };
        v.push((field.to_owned(), problem.into()));
    }
    role
}

/// Returns the protobuf timestamp of an instant.
pub fn timestamp(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

/// Returns the instant of a protobuf timestamp, recording a violation when out of range.
pub fn from_timestamp(
    t: &prost_types::Timestamp,
    field: &str,
    v: &mut Violations,
) -> Option<DateTime<Utc>> {
    let out = u32::try_from(t.nanos)
        .ok()
        .and_then(|n| DateTime::from_timestamp(t.seconds, n));
    if out.is_none() {
        v.push((field.to_owned(), "is not a valid timestamp".into()));
    }
    out
}

/// Returns the date of a `crm.common.v1.Date`, recording a violation when invalid.
pub fn date_from_proto(
    d: &crm_proto::common::v1::Date,
    field: &str,
    v: &mut Violations,
) -> Option<NaiveDate> {
    let date = u32::try_from(d.month)
        .ok()
        .zip(u32::try_from(d.day).ok())
        .and_then(|(m, day)| NaiveDate::from_ymd_opt(d.year, m, day));
    if date.is_none() {
        v.push((field.to_owned(), "is not a valid date".into()));
    }
    date
}

/// Returns the `crm.common.v1.Date` of a date.
pub fn date_to_proto(d: NaiveDate) -> crm_proto::common::v1::Date {
    use chrono::Datelike as _;
    crm_proto::common::v1::Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_required_or_optional() {
        let mut v = Violations::new();
        assert_eq!(uuid_field("", "a", &mut v), None);
        assert_eq!(uuid_field("x", "b", &mut v), None);
        assert_eq!(optional_uuid(" ", "c", &mut v), None);
        assert_eq!(optional_uuid("nope", "d", &mut v), None);
        let id = Uuid::now_v7();
        assert_eq!(optional_uuid(&id.to_string(), "e", &mut v), Some(id));
        let fields: Vec<_> = v.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["a", "b", "d"]);
        assert_eq!(
            required_id("x", "client_id").expect_err("bad").code(),
            tonic::Code::InvalidArgument
        );
    }

    #[test]
    fn dates_and_times_are_checked() {
        let mut v = Violations::new();
        let bad = crm_proto::common::v1::Date {
            year: 2026,
            month: 2,
            day: 30,
        };
        assert_eq!(date_from_proto(&bad, "d", &mut v), None);
        let good = crm_proto::common::v1::Date {
            year: 2024,
            month: 2,
            day: 29,
        };
        let date = date_from_proto(&good, "d", &mut v).expect("leap day");
        assert_eq!(date_to_proto(date), good);
        let t = prost_types::Timestamp {
            seconds: 0,
            nanos: -1,
        };
        assert_eq!(from_timestamp(&t, "t", &mut v), None);
        assert_eq!(v.len(), 2);
        assert_eq!(role_field(0, "role", &mut v), None);
        assert_eq!(role_field(99, "role", &mut v), None);
        assert_eq!(v.len(), 4);
    }
}
