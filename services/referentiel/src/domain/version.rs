//! Versions of the global data sets: a fingerprint of their content, so a caller can
//! cache an answer and know when it went stale. The fingerprint depends only on the
//! rows (in key order) and not on the backend, the replica or the time of start, so
//! every replica on PostgreSQL or SQLite answers the same version for the same data.

use super::{
    Civility, Country, Currency, EcbRate, LegalForm, LegalInterestRate, ReasonCode, VatRate,
};

/// The canonical text fields of a row, in a fixed order.
pub trait Canonical {
    /// Returns the row's fields as text.
    fn fields(&self) -> Vec<String>;
}

/// Returns the version of the data set `name` holding `rows` (in key order): 16 hex
/// digits of FNV-1a 64 over the name and every field, with separators so that moving
/// text from one field to the next changes it.
pub fn of<T: Canonical>(name: &str, rows: &[T]) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    let mut eat = |bytes: &[u8], separator: u8| {
        for byte in bytes.iter().chain(std::iter::once(&separator)) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(PRIME);
        }
    };
    eat(name.as_bytes(), 0x1d);
    for row in rows {
        for field in row.fields() {
            eat(field.as_bytes(), 0x1f);
        }
        eat(&[], 0x1e);
    }
    format!("{hash:016x}")
}

fn opt<T: ToString>(value: &Option<T>) -> String {
    value.as_ref().map(ToString::to_string).unwrap_or_default()
}

impl Canonical for Country {
    fn fields(&self) -> Vec<String> {
        vec![
            self.code.clone(),
            self.name.clone(),
            self.name_fr.clone(),
            self.sepa.to_string(),
            self.eu_member.to_string(),
            opt(&self.iban_length),
        ]
    }
}

impl Canonical for Currency {
    fn fields(&self) -> Vec<String> {
        vec![
            self.code.clone(),
            self.numeric_code.clone(),
            self.name.clone(),
            self.minor_units.to_string(),
        ]
    }
}

impl Canonical for VatRate {
    fn fields(&self) -> Vec<String> {
        vec![
            self.country_code.clone(),
            self.category.key().to_owned(),
            self.rate_bps.to_string(),
            self.valid_from.to_string(),
            opt(&self.valid_to),
            self.description.clone(),
        ]
    }
}

impl Canonical for ReasonCode {
    fn fields(&self) -> Vec<String> {
        vec![
            self.code.clone(),
            self.meaning.clone(),
            self.class.key().to_owned(),
            self.action.clone(),
            self.retryable.to_string(),
            self.retry_limit.to_string(),
            self.retry_countries.join(","),
            self.fails_mandate.to_string(),
        ]
    }
}

impl Canonical for LegalInterestRate {
    fn fields(&self) -> Vec<String> {
        vec![
            self.country_code.clone(),
            self.valid_from.to_string(),
            self.valid_to.to_string(),
            self.individual_bps.to_string(),
            self.other_bps.to_string(),
        ]
    }
}

impl Canonical for EcbRate {
    fn fields(&self) -> Vec<String> {
        vec![self.valid_from.to_string(), self.rate_bps.to_string()]
    }
}

impl Canonical for Civility {
    fn fields(&self) -> Vec<String> {
        vec![
            self.code.clone(),
            self.label.clone(),
            self.abbreviation.clone(),
            self.position.to_string(),
        ]
    }
}

impl Canonical for LegalForm {
    fn fields(&self) -> Vec<String> {
        vec![
            self.country_code.clone(),
            self.code.clone(),
            self.name.clone(),
            self.insee_code.clone(),
            self.legal_person.to_string(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn civility(code: &str, label: &str) -> Civility {
        Civility {
            code: code.into(),
            label: label.into(),
            abbreviation: String::new(),
            position: 1,
        }
    }

    #[test]
    fn versions_follow_the_content_only() {
        let a = [civility("MR", "Monsieur"), civility("MRS", "Madame")];
        let v = of("civilities", &a);
        assert_eq!(v.len(), 16);
        assert_eq!(v, of("civilities", &a.clone()), "deterministic");
        let changed = [civility("MR", "Monsieur"), civility("MRS", "Mme")];
        assert_ne!(v, of("civilities", &changed));
        assert_ne!(v, of("civilities", &a[..1]));
        assert_ne!(v, of("legal_forms", &a), "the data set is part of it");
        // Text moved across a field boundary is a different row.
        let shifted = [civility("MRM", "onsieur"), civility("MRS", "Madame")];
        assert_ne!(v, of("civilities", &shifted));
        let empty: [Civility; 0] = [];
        assert_ne!(of("civilities", &empty), of("currencies", &empty));
    }
}
