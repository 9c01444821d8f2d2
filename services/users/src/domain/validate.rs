//! Field checks. Each records a violation under the field's path instead of stopping, so
//! a request learns of every mistake at once.

use crm_shared::validate::validate_email;

/// Field violations: (path, description).
pub type Violations = Vec<(String, String)>;

/// Shortest password accepted.
pub const PASSWORD_MIN: usize = 12;
/// Longest password accepted (argon2 hashes anything, but there is no reason to).
pub const PASSWORD_MAX: usize = 128;
/// Longest display name.
pub const DISPLAY_NAME_MAX: usize = 100;
/// Longest organisation name.
pub const ORGANISATION_NAME_MAX: usize = 200;
/// Digits of a TOTP code.
pub const TOTP_DIGITS: usize = 6;

fn push(v: &mut Violations, field: &str, description: impl Into<String>) {
    v.push((field.to_owned(), description.into()));
}

/// Returns the normalised e-mail address, or records why it is not one.
pub fn email(input: &str, field: &str, v: &mut Violations) -> Option<String> {
    match validate_email(input) {
        Ok(email) => Some(email.into_string()),
        Err(e) => {
            push(v, field, format!("is not a valid e-mail address: {e}"));
            None
        }
    }
}

/// Records a violation unless `input` is a password of 12 to 128 characters. Passwords
/// are taken as typed: spaces count.
pub fn new_password(input: &str, field: &str, v: &mut Violations) {
    let n = input.chars().count();
    if n < PASSWORD_MIN {
        push(
            v,
            field,
            format!("must be at least {PASSWORD_MIN} characters"),
        );
    } else if n > PASSWORD_MAX {
        push(
            v,
            field,
            format!("must be at most {PASSWORD_MAX} characters"),
        );
    }
}

/// Records a violation when a password to check is missing or longer than any stored
/// one can be.
pub fn given_password(input: &str, field: &str, v: &mut Violations) {
    if input.is_empty() {
        push(v, field, "is required");
    } else if input.chars().count() > PASSWORD_MAX {
        push(
            v,
            field,
            format!("must be at most {PASSWORD_MAX} characters"),
        );
    }
}

/// Returns the trimmed text when it has 1 to `max` characters and no control
/// characters, or records why not.
pub fn name(input: &str, max: usize, field: &str, v: &mut Violations) -> Option<String> {
    let text = input.trim();
    let n = text.chars().count();
    if n == 0 {
        push(v, field, "is required");
        None
    } else if n > max {
        push(v, field, format!("must be at most {max} characters"));
        None
    } else if text.chars().any(char::is_control) {
        push(v, field, "must not contain control characters");
        None
    } else {
        Some(text.to_owned())
    }
}

/// Returns the display name, trimmed, 1 to 100 characters.
pub fn display_name(input: &str, field: &str, v: &mut Violations) -> Option<String> {
    name(input, DISPLAY_NAME_MAX, field, v)
}

/// Returns the organisation name, trimmed, 1 to 200 characters.
pub fn organisation_name(input: &str, field: &str, v: &mut Violations) -> Option<String> {
    name(input, ORGANISATION_NAME_MAX, field, v)
}

/// Returns the code when it is exactly six ASCII digits (spaces around are ignored), or
/// records why not.
pub fn totp_code(input: &str, field: &str, v: &mut Violations) -> Option<String> {
    let code = input.trim();
    if code.is_empty() {
        push(v, field, "is required");
        None
    } else if code.len() != TOTP_DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        push(v, field, format!("must be {TOTP_DIGITS} digits"));
        None
    } else {
        Some(code.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(v: &Violations) -> Vec<&str> {
        v.iter().map(|(f, _)| f.as_str()).collect()
    }

    #[test]
    fn emails_are_normalised_or_refused() {
        let mut v = Vec::new();
        assert_eq!(
            email(" ada@Example.com ", "email", &mut v).as_deref(),
            Some("ada@example.com")
        );
        assert!(v.is_empty());
        assert_eq!(email("not-an-address", "email", &mut v), None);
        assert_eq!(email("", "email", &mut v), None);
        assert_eq!(fields(&v), ["email", "email"]);
    }

    #[test]
    fn passwords_need_12_to_128_characters() {
        let mut v = Vec::new();
        new_password(&"a".repeat(12), "p", &mut v);
        new_password(&"é".repeat(128), "p", &mut v);
        assert!(v.is_empty(), "{v:?}");
        new_password(&"a".repeat(11), "short", &mut v);
        new_password(&"a".repeat(129), "long", &mut v);
        new_password("", "empty", &mut v);
        assert_eq!(fields(&v), ["short", "long", "empty"]);
    }

    #[test]
    fn given_passwords_must_be_present_and_bounded() {
        let mut v = Vec::new();
        given_password("x", "ok", &mut v);
        assert!(v.is_empty());
        given_password("", "empty", &mut v);
        given_password(&"a".repeat(129), "long", &mut v);
        assert_eq!(fields(&v), ["empty", "long"]);
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        let mut v = Vec::new();
        assert_eq!(
            display_name("  Ada Lovelace ", "n", &mut v).as_deref(),
            Some("Ada Lovelace")
        );
        assert!(display_name(&"x".repeat(100), "n", &mut v).is_some());
        assert!(v.is_empty());
        assert_eq!(display_name("   ", "blank", &mut v), None);
        assert_eq!(display_name(&"x".repeat(101), "long", &mut v), None);
        assert_eq!(display_name("a\u{7}b", "control", &mut v), None);
        assert!(organisation_name(&"x".repeat(200), "org", &mut v).is_some());
        assert_eq!(
            organisation_name(&"x".repeat(201), "org_long", &mut v),
            None
        );
        assert_eq!(fields(&v), ["blank", "long", "control", "org_long"]);
    }

    #[test]
    fn totp_codes_are_six_digits() {
        let mut v = Vec::new();
        assert_eq!(
            totp_code(" 012345 ", "c", &mut v).as_deref(),
            Some("012345")
        );
        assert!(v.is_empty());
        assert_eq!(totp_code("", "empty", &mut v), None);
        assert_eq!(totp_code("12345", "short", &mut v), None);
        assert_eq!(totp_code("12345a", "letter", &mut v), None);
        assert_eq!(totp_code("١٢٣٤٥٦", "arabic", &mut v), None);
        assert_eq!(fields(&v), ["empty", "short", "letter", "arabic"]);
    }
}
