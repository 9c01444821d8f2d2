//! Numbers (domain-rules §5.2): `{prefix}{yyyy}-{seq:06}`, the sequence counted per
//! organisation and series from 1 without gaps and never reset. A series is named by its
//! prefix: invoices use the organisation's invoice prefix (default "F-"), credit notes
//! their own (default "AV-"); an organisation that wants a fresh count starts a new
//! series by changing its prefix. The year is the issue date's and only makes numbers
//! readable: the count continues across years. Every number is checked against the
//! e-invoicing constraint on BT-1 (at most 35 characters of `A-Za-z0-9+-_/`).

/// Prefix of invoices when the organisation sets none.
pub const DEFAULT_INVOICE_PREFIX: &str = "F-";
/// Prefix of credit notes when the organisation sets none.
pub const DEFAULT_CREDIT_NOTE_PREFIX: &str = "AV-";
/// Longest BT-1.
pub const MAX_NUMBER_LEN: usize = 35;

/// Returns the series prefix for a configured one: trimmed, `default` when empty, and
/// ending with a separator (`-` is added after a bare "F" so numbers read "F-2026-…").
pub fn series_prefix(configured: &str, default: &str) -> String {
    let trimmed = configured.trim();
    let base = if trimmed.is_empty() { default } else { trimmed };
    if base.ends_with(['-', '_', '/']) {
        base.to_owned()
    } else {
        format!("{base}-")
    }
}

/// Returns whether a character may appear in BT-1 (BR-FR-01/02).
fn bt1_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '_' | '/')
}

/// Returns whether `prefix` can start numbers: BT-1 characters only, and room left for
/// the year and the sequence.
pub fn valid_prefix(prefix: &str) -> bool {
    !prefix.is_empty() && prefix.chars().all(bt1_char) && prefix.len() + 12 <= MAX_NUMBER_LEN
}

/// Returns the number of the `sequence`-th document of the series `prefix`, issued in
/// `year`, or `None` when it would break BT-1.
pub fn format(prefix: &str, year: i32, sequence: i64) -> Option<String> {
    let number = format!("{prefix}{year:04}-{sequence:06}");
    (number.len() <= MAX_NUMBER_LEN && number.chars().all(bt1_char)).then_some(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_end_with_a_separator() {
        assert_eq!(series_prefix("", DEFAULT_INVOICE_PREFIX), "F-");
        assert_eq!(series_prefix("  ", DEFAULT_CREDIT_NOTE_PREFIX), "AV-");
        assert_eq!(series_prefix("F", DEFAULT_INVOICE_PREFIX), "F-");
        assert_eq!(series_prefix("FAC/", DEFAULT_INVOICE_PREFIX), "FAC/");
        assert_eq!(series_prefix("B2B_", DEFAULT_INVOICE_PREFIX), "B2B_");
    }

    #[test]
    fn numbers_follow_the_format_and_bt1() {
        assert_eq!(format("F-", 2026, 123).as_deref(), Some("F-2026-000123"));
        assert_eq!(format("AV-", 2027, 1).as_deref(), Some("AV-2027-000001"));
        // Past a million the sequence simply grows.
        assert_eq!(
            format("F-", 2026, 1_234_567).as_deref(),
            Some("F-2026-1234567")
        );
        // 35 characters at most, and only A-Za-z0-9 + - _ /.
        assert_eq!(format(&"X".repeat(25), 2026, 1), None);
        assert_eq!(format(&"X".repeat(24), 2026, 1).map(|n| n.len()), Some(35));
        assert_eq!(format("F é-", 2026, 1), None);
        assert!(valid_prefix("F-"));
        assert!(!valid_prefix("F -"));
        assert!(!valid_prefix(""));
        assert!(!valid_prefix(&"X".repeat(24)));
    }
}
