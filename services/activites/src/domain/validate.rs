//! Field checks shared by the RPCs: text lengths and aggregate kinds. Each records a
//! violation with its field path rather than failing, so a request's problems are
//! reported together.

/// Longest note body, in characters.
pub const MAX_BODY: usize = 10_000;
/// Longest call outcome, in characters.
pub const MAX_OUTCOME: usize = 2_000;
/// Longest task title, in characters.
pub const MAX_TITLE: usize = 200;
/// Longest call, in seconds (a day).
pub const MAX_CALL_SECONDS: i32 = 86_400;
/// Longest aggregate kind, in characters.
const MAX_KIND: usize = 32;

/// Returns `text` trimmed when it has 1 to `max` characters, recording a violation at
/// `field` otherwise.
pub fn text_field(
    text: &str,
    max: usize,
    field: &str,
    v: &mut Vec<(String, String)>,
) -> Option<String> {
    let t = text.trim();
    if t.is_empty() {
        v.push((field.to_owned(), "is required".into()));
        return None;
    }
    if t.chars().count() > max {
        v.push((
            field.to_owned(),
            format!("must be at most {max} characters"),
        ));
        return None;
    }
    Some(t.to_owned())
}

/// Returns whether `kind` is a valid aggregate kind (lowercase letters and underscores,
/// starting with a letter, at most 32), recording a violation at `field` otherwise.
pub fn check_subject_kind(kind: &str, field: &str, v: &mut Vec<(String, String)>) -> bool {
    let ok = kind.len() <= MAX_KIND
        && kind.starts_with(|c: char| c.is_ascii_lowercase())
        && kind.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    if !ok {
        let problem = if kind.is_empty() {
            "is required".to_owned()
        } else {
            format!("must be lowercase letters and underscores, at most {MAX_KIND}")
        };
        v.push((field.to_owned(), problem));
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        let mut v = Vec::new();
        assert_eq!(text_field("  hi ", 5, "body", &mut v), Some("hi".into()));
        assert_eq!(text_field("   ", 5, "body", &mut v), None);
        assert_eq!(text_field("abcdef", 5, "title", &mut v), None);
        assert_eq!(
            text_field("ééééé", 5, "title", &mut v),
            Some("ééééé".into())
        );
        let fields: Vec<_> = v.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["body", "title"]);
    }

    #[test]
    fn subject_kinds_are_lowercase_words() {
        let mut v = Vec::new();
        assert!(check_subject_kind("contract", "subject.kind", &mut v));
        assert!(check_subject_kind("credit_note", "subject.kind", &mut v));
        assert!(!check_subject_kind("", "subject.kind", &mut v));
        assert!(!check_subject_kind("Contract", "subject.kind", &mut v));
        assert!(!check_subject_kind("_x", "subject.kind", &mut v));
        assert!(!check_subject_kind(&"a".repeat(33), "subject.kind", &mut v));
        assert_eq!(v.len(), 4);
    }
}
