//! The organisations' value lists: what a list key, a code and a label may be, how an
//! upsert changes a value, and the lists a new organisation starts with.

/// Most values one list may hold, so a whole list fits in one page.
pub const MAX_VALUES_PER_LIST: u64 = 500;
/// Largest position a value may take.
pub const MAX_POSITION: i32 = 1_000_000;
/// Longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 200;

/// Returns why `key` is not a list key: 2 to 63 characters of lowercase ASCII letters,
/// digits and `_`, starting with a letter.
pub fn check_list_key(key: &str) -> Result<(), &'static str> {
    const RULE: &str = "must be 2 to 63 lowercase letters, digits or \"_\", starting with a letter";
    if key.is_empty() {
        return Err("is required");
    }
    let starts = key.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    let rest = key
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if (2..=63).contains(&key.len()) && starts && rest {
        Ok(())
    } else {
        Err(RULE)
    }
}

/// Returns why `code` is not a value code: 1 to 64 ASCII letters, digits, `_`, `-` or
/// `.`, starting with a letter or digit.
pub fn check_code(code: &str) -> Result<(), &'static str> {
    const RULE: &str =
        "must be 1 to 64 letters, digits, \"_\", \"-\" or \".\", starting with a letter or digit";
    if code.is_empty() {
        return Err("is required");
    }
    let starts = code
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    let rest = code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if code.len() <= 64 && starts && rest {
        Ok(())
    } else {
        Err(RULE)
    }
}

/// Returns the trimmed label, or why it is refused: empty, longer than 200 characters,
/// or holding control characters.
pub fn check_label(label: &str) -> Result<String, &'static str> {
    let label = label.trim();
    if label.is_empty() {
        return Err("is required");
    }
    if label.chars().count() > MAX_LABEL_CHARS {
        return Err("must be at most 200 characters");
    }
    if label.chars().any(char::is_control) {
        return Err("must not contain control characters");
    }
    Ok(label.to_owned())
}

/// Returns why `position` is refused: negative or above one million (0 means "last").
pub fn check_position(position: i32) -> Result<(), &'static str> {
    if (0..=MAX_POSITION).contains(&position) {
        Ok(())
    } else {
        Err("must be between 0 and 1000000")
    }
}

/// The fields an upsert sets, already checked; `None` leaves a field as it is (or at its
/// default for a new value).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    /// New label.
    pub label: Option<String>,
    /// New position; 0 puts the value after the list's last one.
    pub position: Option<i32>,
    /// New active flag.
    pub active: Option<bool>,
}

/// The fields of a value as an upsert leaves them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
    /// Label.
    pub label: String,
    /// Position (0 still to be resolved to "after the last").
    pub position: i32,
    /// Active flag.
    pub active: bool,
}

impl Change {
    /// Returns the fields of a value created with this change, or `None` without a label.
    pub fn create(&self) -> Option<Fields> {
        Some(Fields {
            label: self.label.clone()?,
            position: self.position.unwrap_or(0),
            active: self.active.unwrap_or(true),
        })
    }

    /// Returns the fields of `current` after this change.
    pub fn apply(&self, current: &Fields) -> Fields {
        Fields {
            label: self.label.clone().unwrap_or_else(|| current.label.clone()),
            position: self.position.unwrap_or(current.position),
            active: self.active.unwrap_or(current.active),
        }
    }
}

/// The lists a new organisation starts with (the `organisation.created` consumer), as
/// (list key, [(code, label)]), labels in French. Organisations change them freely.
pub const TENANT_DEFAULTS: &[(&str, &[(&str, &str)])] = &[
    (
        "lead_sources",
        &[
            ("web", "Site web"),
            ("referral", "Recommandation"),
            ("phone", "Appel entrant"),
            ("event", "Salon ou événement"),
            ("partner", "Partenaire"),
            ("canvassing", "Prospection terrain"),
            ("other", "Autre"),
        ],
    ),
    (
        "termination_reasons",
        &[
            ("client_request", "Demande du client"),
            ("renunciation", "Renonciation"),
            ("non_payment", "Impayés"),
            ("competitor", "Départ à la concurrence"),
            ("moved", "Déménagement"),
            ("deceased", "Décès"),
            ("other", "Autre"),
        ],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_keys_are_snake_case() {
        for ok in ["lead_sources", "ab", "client_tags2", &"a".repeat(63)] {
            assert_eq!(check_list_key(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "a",
            "Lead",
            "2tags",
            "_x",
            "lead-sources",
            "é_x",
            &"a".repeat(64),
        ] {
            assert!(check_list_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn codes_are_short_and_plain() {
        for ok in ["web", "AM04", "salon_2026", "x", "a.b-c", &"9".repeat(64)] {
            assert_eq!(check_code(ok), Ok(()), "{ok}");
        }
        for bad in ["", "-web", "with space", "é", "a/b", &"a".repeat(65)] {
            assert!(check_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn labels_are_trimmed_and_bounded() {
        assert_eq!(check_label("  Site web "), Ok("Site web".into()));
        assert!(check_label("   ").is_err());
        assert!(check_label(&"é".repeat(201)).is_err());
        assert_eq!(check_label(&"é".repeat(200)).map(|l| l.len()), Ok(400));
        assert!(check_label("a\u{0}b").is_err());
        assert!(check_position(-1).is_err());
        assert!(check_position(1_000_001).is_err());
        assert!(check_position(0).is_ok());
    }

    #[test]
    fn changes_fill_defaults_on_create_and_keep_the_rest_on_update() {
        let change = Change {
            label: Some("Web".into()),
            ..Change::default()
        };
        let created = change.create().expect("label given");
        assert_eq!((created.position, created.active), (0, true));
        assert_eq!(
            Change::default().create(),
            None,
            "a new value needs a label"
        );
        let current = Fields {
            label: "Old".into(),
            position: 4,
            active: true,
        };
        let deactivate = Change {
            active: Some(false),
            ..Change::default()
        };
        let next = deactivate.apply(&current);
        assert_eq!(
            (next.label.as_str(), next.position, next.active),
            ("Old", 4, false)
        );
        assert_eq!(Change::default().apply(&current), current);
    }

    #[test]
    fn defaults_are_valid_values() {
        for (key, values) in TENANT_DEFAULTS {
            assert_eq!(check_list_key(key), Ok(()));
            for (code, label) in *values {
                assert_eq!(check_code(code), Ok(()));
                assert!(check_label(label).is_ok());
            }
        }
    }
}
