//! What makes two clients look like duplicates: the same e-mail (without regard to
//! case), the same SIRET, or the same normalised name and the same birth date.

use chrono::NaiveDate;
use unicode_normalization::UnicodeNormalization as _;
use unicode_normalization::char::is_combining_mark;

use super::{ClientData, Kind};

/// Why two clients look like duplicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    /// The same e-mail address, without regard to case.
    SameEmail,
    /// The same SIRET.
    SameSiret,
    /// The same normalised name and the same birth date.
    SameNameAndBirthDate,
}

/// Returns `text` lowercased, with accents stripped (canonical decomposition, then the
/// combining marks dropped; æ, œ, ß, ø, ł and đ spelt out), and runs of whitespace
/// collapsed to one space, trimmed: "  Éloïse   DU  Pré " is "eloise du pre".
pub fn normalise_name(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.nfd().filter(|c| !is_combining_mark(*c)) {
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        match c {
            'æ' | 'Æ' => out.push_str("ae"),
            'œ' | 'Œ' => out.push_str("oe"),
            'ß' => out.push_str("ss"),
            // Letters with a stroke have no decomposition.
            'ø' | 'Ø' => out.push('o'),
            'ł' | 'Ł' => out.push('l'),
            'đ' | 'Đ' => out.push('d'),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// The values duplicates are matched on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keys {
    /// Lowercase e-mail.
    pub email_key: Option<String>,
    /// SIRET.
    pub siret: Option<String>,
    /// Normalised "first last" name of a person.
    pub name_key: Option<String>,
    /// Birth date of a person.
    pub birth_date: Option<NaiveDate>,
}

impl Keys {
    /// Returns the keys of a client's (normalised) fields.
    pub fn of(data: &ClientData) -> Keys {
        Keys {
            email_key: data.email.as_ref().map(|e| e.to_lowercase()),
            siret: data.siret.clone(),
            name_key: name_key(data),
            birth_date: data.birth_date,
        }
    }

    /// Returns the name and birth date when both are known: the name rule needs both.
    pub fn name_and_birth(&self) -> Option<(&str, NaiveDate)> {
        self.name_key.as_deref().zip(self.birth_date)
    }

    /// Returns whether no rule can match anything.
    pub fn is_empty(&self) -> bool {
        self.email_key.is_none() && self.siret.is_none() && self.name_and_birth().is_none()
    }
}

/// Returns the normalised name of a person, `None` for a company or an empty name.
pub fn name_key(data: &ClientData) -> Option<String> {
    if data.kind != Kind::Person {
        return None;
    }
    let key = normalise_name(&format!("{} {}", data.first_name, data.last_name));
    (!key.is_empty()).then_some(key)
}

/// Returns every reason `other` looks like a duplicate of `target`, in a fixed order.
pub fn reasons(target: &Keys, other: &Keys) -> Vec<Reason> {
    let mut out = Vec::new();
    if target.email_key.is_some() && target.email_key == other.email_key {
        out.push(Reason::SameEmail);
    }
    if target.siret.is_some() && target.siret == other.siret {
        out.push(Reason::SameSiret);
    }
    if let (Some(a), Some(b)) = (target.name_and_birth(), other.name_and_birth())
        && a == b
    {
        out.push(Reason::SameNameAndBirthDate);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised() {
        assert_eq!(normalise_name("  Éloïse   DU  Pré "), "eloise du pre");
        assert_eq!(normalise_name("Jean-François\tLŒUF"), "jean-francois loeuf");
        assert_eq!(normalise_name("Strauß Ærø"), "strauss aero");
        assert_eq!(normalise_name("   "), "");
        assert_eq!(normalise_name("Ñandú Çelik"), "nandu celik");
    }

    fn keys(
        email: Option<&str>,
        siret: Option<&str>,
        name: Option<&str>,
        birth: Option<(i32, u32, u32)>,
    ) -> Keys {
        Keys {
            email_key: email.map(str::to_owned),
            siret: siret.map(str::to_owned),
            name_key: name.map(str::to_owned),
            birth_date: birth.and_then(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)),
        }
    }

    #[test]
    fn every_reason_is_found() {
        let a = keys(
            Some("a@x.fr"),
            Some("35600000000048"),
            Some("jeanne martin"),
            Some((1980, 1, 2)),
        );
        let b = a.clone();
        assert_eq!(
            reasons(&a, &b),
            [
                Reason::SameEmail,
                Reason::SameSiret,
                Reason::SameNameAndBirthDate
            ]
        );
        // The same name without the same birth date is not a match.
        let c = keys(None, None, Some("jeanne martin"), Some((1981, 1, 2)));
        assert!(reasons(&a, &c).is_empty());
        let d = keys(None, None, Some("jeanne martin"), None);
        assert!(reasons(&a, &d).is_empty());
        // Nothing matches on absent values.
        let empty = Keys::default();
        assert!(empty.is_empty());
        assert!(reasons(&empty, &empty).is_empty());
        assert!(!a.is_empty());
        assert!(keys(None, None, Some("x"), None).is_empty());
    }
}
