//! Validation and normalisation of a commercial's fields. Every problem is reported, each
//! with the path of its field, so the caller can fix them all at once.

use chrono::{Days, NaiveDate};
use crm_shared::validate::{normalise_phone, validate_email};

use super::CommercialData;

const MAX_CODE: usize = 32;
const MAX_NAME: usize = 100;
const MAX_TEAM: usize = 100;
/// How far ahead a hire date may be: people are hired a few months before they start.
const HIRE_AHEAD_DAYS: u64 = 366;

/// Returns `data` normalised, or every violation found, with field paths under `prefix`
/// ("commercial"). `today` bounds the hire date.
pub fn validate(
    mut data: CommercialData,
    prefix: &str,
    today: NaiveDate,
) -> Result<CommercialData, Vec<(String, String)>> {
    let mut v = Vec::new();
    let field = |name: &str| format!("{prefix}.{name}");

    data.code = data.code.trim().to_owned();
    if let Err(problem) = check_code(&data.code) {
        v.push((field("code"), problem));
    }

    data.first_name = data.first_name.trim().to_owned();
    data.last_name = data.last_name.trim().to_owned();
    data.team = data.team.trim().to_owned();
    for (name, value, max, required) in [
        ("first_name", &data.first_name, MAX_NAME, true),
        ("last_name", &data.last_name, MAX_NAME, true),
        ("team", &data.team, MAX_TEAM, false),
    ] {
        if required && value.is_empty() {
            v.push((field(name), "is required".into()));
        } else if value.chars().count() > max {
            v.push((field(name), format!("must be at most {max} characters")));
        } else if value.chars().any(char::is_control) {
            v.push((field(name), "must not contain control characters".into()));
        }
    }

    if let Some(email) = data.email.take().filter(|e| !e.trim().is_empty()) {
        match validate_email(&email) {
            Ok(e) => data.email = Some(e.as_str().to_owned()),
            Err(e) => v.push((field("email"), e.to_string())),
        }
    }
    if let Some(phone) = data.phone.take().filter(|p| !p.trim().is_empty()) {
        match normalise_phone(&phone) {
            Ok(p) => data.phone = Some(p.as_str().to_owned()),
            Err(e) => v.push((field("phone"), e.to_string())),
        }
    }
    if let Some(hired) = data.hire_date {
        let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(hired);
        let latest = today.checked_add_days(Days::new(HIRE_AHEAD_DAYS));
        if hired < earliest {
            v.push((field("hire_date"), "must be after 1900-01-01".into()));
        } else if latest.is_some_and(|latest| hired > latest) {
            v.push((
                field("hire_date"),
                "must be at most one year in the future".into(),
            ));
        }
    }

    if v.is_empty() { Ok(data) } else { Err(v) }
}

/// Checks a code: 1 to 32 letters, digits, "-", "_" or ".", starting with a letter or a
/// digit, so it reads well in URLs, exports and statements.
fn check_code(code: &str) -> Result<(), String> {
    if code.is_empty() {
        return Err("is required".into());
    }
    if code.chars().count() > MAX_CODE {
        return Err(format!("must be at most {MAX_CODE} characters"));
    }
    if let Some(c) = code
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "must hold only letters, digits, \"-\", \"_\" and \".\" (found {c:?})"
        ));
    }
    if !code.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err("must start with a letter or a digit".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::Status;
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 1).expect("date")
    }

    fn data() -> CommercialData {
        CommercialData {
            code: " COM-042 ".into(),
            first_name: " Jeanne ".into(),
            last_name: "Durand".into(),
            email: Some("Jeanne.Durand@Example.FR".into()),
            phone: Some("+33 6 12 34 56 78".into()),
            user_id: None,
            manager_id: None,
            team: " Nord ".into(),
            status: Status::Active,
            commission_plan_id: None,
            hire_date: NaiveDate::from_ymd_opt(2024, 9, 2),
        }
    }

    #[test]
    fn valid_data_is_normalised() {
        let d = validate(data(), "commercial", today()).expect("valid");
        assert_eq!(d.code, "COM-042");
        assert_eq!(d.first_name, "Jeanne");
        assert_eq!(d.team, "Nord");
        assert_eq!(d.email.as_deref(), Some("Jeanne.Durand@example.fr"));
        assert_eq!(d.phone.as_deref(), Some("+33612345678"));
    }

    #[test]
    fn empty_optional_fields_become_none() {
        let mut d = data();
        d.email = Some("  ".into());
        d.phone = Some(String::new());
        let d = validate(d, "commercial", today()).expect("valid");
        assert_eq!((d.email, d.phone), (None, None));
    }

    #[test]
    fn every_violation_is_reported() {
        let mut d = data();
        d.code = "bad code!".into();
        d.first_name = String::new();
        d.last_name = "x".repeat(101);
        d.team = "a\u{7}b".into();
        d.email = Some("nope".into());
        d.phone = Some("0612".into());
        d.hire_date = NaiveDate::from_ymd_opt(2030, 1, 1);
        let v = validate(d, "commercial", today()).expect_err("invalid");
        let fields: Vec<_> = v.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "commercial.code",
                "commercial.first_name",
                "commercial.last_name",
                "commercial.team",
                "commercial.email",
                "commercial.phone",
                "commercial.hire_date",
            ]
        );
    }

    #[test]
    fn codes_are_checked() {
        assert!(check_code("A1").is_ok());
        assert!(check_code("com_2.b-3").is_ok());
        assert!(check_code("").is_err());
        assert!(check_code("-lead").is_err());
        assert!(check_code("é").is_err());
        assert!(check_code(&"x".repeat(33)).is_err());
        assert!(check_code(&"x".repeat(32)).is_ok());
    }

    #[test]
    fn hire_dates_are_bounded() {
        let mut d = data();
        d.hire_date = NaiveDate::from_ymd_opt(1899, 12, 31);
        assert!(validate(d.clone(), "c", today()).is_err());
        d.hire_date = NaiveDate::from_ymd_opt(2027, 3, 1);
        assert!(validate(d.clone(), "c", today()).is_ok());
        d.hire_date = NaiveDate::from_ymd_opt(2027, 3, 3);
        assert!(validate(d, "c", today()).is_err());
    }
}
