//! Validation and normalisation of a client's fields. Every problem is reported, each
//! with the path of its field, so the caller can fix them all at once.

use chrono::NaiveDate;
use crm_shared::validate::{normalise_phone, validate_email, validate_siren, validate_siret};

use super::{Address, ClientData, Kind};

const MAX_NAME: usize = 200;
const MAX_TAGS: usize = 50;
const MAX_TAG: usize = 50;
const MAX_CUSTOM_FIELDS: usize = 50;
const MAX_CUSTOM_KEY: usize = 64;
const MAX_CUSTOM_VALUE: usize = 1000;
const MAX_ADDRESS_LINE: usize = 200;

/// Returns `data` normalised, or every violation found, with field paths under `prefix`
/// ("client"). `today` bounds birth dates.
pub fn validate(
    mut data: ClientData,
    prefix: &str,
    today: NaiveDate,
) -> Result<ClientData, Vec<(String, String)>> {
    let mut v = Vec::new();
    let field = |name: &str| format!("{prefix}.{name}");

    data.first_name = data.first_name.trim().to_owned();
    data.last_name = data.last_name.trim().to_owned();
    data.company_name = data.company_name.trim().to_owned();
    data.source = data.source.trim().to_owned();
    for (name, value) in [
        ("first_name", &data.first_name),
        ("last_name", &data.last_name),
        ("company_name", &data.company_name),
        ("source", &data.source),
    ] {
        if value.chars().count() > MAX_NAME {
            v.push((
                field(name),
                format!("must be at most {MAX_NAME} characters"),
            ));
        }
        if value.chars().any(char::is_control) {
            v.push((field(name), "must not contain control characters".into()));
        }
    }

    match data.kind {
        Kind::Person => {
            if data.last_name.is_empty() {
                v.push((field("last_name"), "is required for a person".into()));
            }
            if !data.company_name.is_empty() {
                v.push((field("company_name"), "is for companies only".into()));
            }
            if data.siren.is_some() {
                v.push((field("siren"), "is for companies only".into()));
            }
            if data.siret.is_some() {
                v.push((field("siret"), "is for companies only".into()));
            }
            if let Some(birth) = data.birth_date {
                if birth > today {
                    v.push((field("birth_date"), "must not be in the future".into()));
                } else if birth < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(birth) {
                    v.push((field("birth_date"), "must be after 1900-01-01".into()));
                }
            }
        }
        Kind::Company => {
            if data.company_name.is_empty() {
                v.push((field("company_name"), "is required for a company".into()));
            }
            if data.civility.is_some() {
                v.push((field("civility"), "is for persons only".into()));
            }
            if data.birth_date.is_some() {
                v.push((field("birth_date"), "is for persons only".into()));
            }
            if data.siren.is_none() && data.siret.is_none() {
                v.push((field("siren"), "a company needs a SIREN or a SIRET".into()));
            }
        }
    }

    if let Some(siren) = data.siren.take() {
        match validate_siren(&siren) {
            Ok(s) => data.siren = Some(s.as_str().to_owned()),
            Err(e) => v.push((field("siren"), e.to_string())),
        }
    }
    if let Some(siret) = data.siret.take() {
        match validate_siret(&siret) {
            Ok(s) => {
                if let Some(siren) = &data.siren {
                    if !s.as_str().starts_with(siren.as_str()) {
                        v.push((field("siret"), "does not belong to the SIREN given".into()));
                    }
                } else {
                    // The SIREN is the SIRET's first nine digits: keep both consistent.
                    data.siren = Some(s.as_str()[..9].to_owned());
                }
                data.siret = Some(s.as_str().to_owned());
            }
            Err(e) => v.push((field("siret"), e.to_string())),
        }
    }
    if let Some(email) = data.email.take() {
        match validate_email(&email) {
            Ok(e) => data.email = Some(e.as_str().to_owned()),
            Err(e) => v.push((field("email"), e.to_string())),
        }
    }
    if let Some(phone) = data.phone.take() {
        match normalise_phone(&phone) {
            Ok(p) => data.phone = Some(p.as_str().to_owned()),
            Err(e) => v.push((field("phone"), e.to_string())),
        }
    }
    for (name, address) in [
        ("postal_address", data.postal_address.as_mut()),
        ("billing_address", data.billing_address.as_mut()),
    ] {
        if let Some(address) = address {
            validate_address(address, &field(name), &mut v);
        }
    }

    let mut tags: Vec<String> = Vec::with_capacity(data.tags.len());
    for (i, tag) in data.tags.iter().enumerate() {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty() || tag.chars().count() > MAX_TAG {
            v.push((
                format!("{prefix}.tags[{i}]"),
                format!("must be 1 to {MAX_TAG} characters"),
            ));
        } else if !tag
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ':' | ' '))
        {
            v.push((
                format!("{prefix}.tags[{i}]"),
                "may hold letters, digits, spaces, '-', '_' and ':' only".into(),
            ));
        } else if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > MAX_TAGS {
        v.push((field("tags"), format!("at most {MAX_TAGS} tags")));
    }
    tags.sort();
    data.tags = tags;

    if data.custom_fields.len() > MAX_CUSTOM_FIELDS {
        v.push((
            field("custom_fields"),
            format!("at most {MAX_CUSTOM_FIELDS} fields"),
        ));
    }
    for (key, value) in &data.custom_fields {
        let key_ok = !key.is_empty()
            && key.len() <= MAX_CUSTOM_KEY
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !key_ok {
            v.push((
                format!("{prefix}.custom_fields[{key}]"),
                format!("keys are 1 to {MAX_CUSTOM_KEY} of a-z, 0-9 and '_'"),
            ));
        }
        if value.chars().count() > MAX_CUSTOM_VALUE {
            v.push((
                format!("{prefix}.custom_fields[{key}]"),
                format!("values are at most {MAX_CUSTOM_VALUE} characters"),
            ));
        }
    }

    if v.is_empty() { Ok(data) } else { Err(v) }
}

fn validate_address(address: &mut Address, path: &str, v: &mut Vec<(String, String)>) {
    for value in [
        &mut address.line1,
        &mut address.line2,
        &mut address.postal_code,
        &mut address.city,
        &mut address.region,
    ] {
        *value = value.trim().to_owned();
    }
    address.country_code = address.country_code.trim().to_uppercase();
    if address.line1.is_empty() {
        v.push((format!("{path}.line1"), "is required".into()));
    }
    if address.city.is_empty() {
        v.push((format!("{path}.city"), "is required".into()));
    }
    for (name, value) in [
        ("line1", &address.line1),
        ("line2", &address.line2),
        ("city", &address.city),
        ("region", &address.region),
        ("postal_code", &address.postal_code),
    ] {
        if value.chars().count() > MAX_ADDRESS_LINE {
            v.push((
                format!("{path}.{name}"),
                format!("must be at most {MAX_ADDRESS_LINE} characters"),
            ));
        }
    }
    if address.country_code.len() != 2
        || !address.country_code.chars().all(|c| c.is_ascii_uppercase())
    {
        v.push((
            format!("{path}.country_code"),
            "must be an ISO 3166-1 alpha-2 code".into(),
        ));
    } else if address.country_code == "FR"
        && !(address.postal_code.len() == 5
            && address.postal_code.chars().all(|c| c.is_ascii_digit()))
    {
        v.push((
            format!("{path}.postal_code"),
            "a French postal code has 5 digits".into(),
        ));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::{Civility, Status};
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 21).unwrap_or_default()
    }

    fn person() -> ClientData {
        ClientData {
            kind: Kind::Person,
            civility: Some(Civility::Mrs),
            first_name: " Alice ".into(),
            last_name: "Martin".into(),
            company_name: String::new(),
            siren: None,
            siret: None,
            email: Some("Alice.Martin@Example.FR".into()),
            phone: Some("+33 6 12 34 56 78".into()),
            birth_date: NaiveDate::from_ymd_opt(1980, 5, 17),
            postal_address: Some(Address {
                line1: "1 rue de la Paix".into(),
                postal_code: "75002".into(),
                city: "Paris".into(),
                country_code: "fr".into(),
                ..Address::default()
            }),
            billing_address: None,
            status: Status::Prospect,
            commercial_id: None,
            tags: vec!["VIP".into(), "vip".into(), "web".into()],
            source: "web".into(),
            custom_fields: BTreeMap::new(),
        }
    }

    fn fields(err: Vec<(String, String)>) -> Vec<String> {
        err.into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn a_valid_person_is_normalised() {
        let ok = validate(person(), "client", today()).expect("valid");
        assert_eq!(ok.first_name, "Alice");
        assert_eq!(ok.email.as_deref(), Some("Alice.Martin@example.fr"));
        assert_eq!(ok.phone.as_deref(), Some("+33612345678"));
        assert_eq!(ok.tags, ["vip", "web"]);
        assert_eq!(ok.postal_address.map(|a| a.country_code), Some("FR".into()));
    }

    #[test]
    fn every_violation_is_reported() {
        let mut bad = person();
        bad.last_name = String::new();
        bad.email = Some("not-an-email".into());
        bad.phone = Some("0612345678".into());
        bad.birth_date = NaiveDate::from_ymd_opt(2030, 1, 1);
        bad.siren = Some("123456789".into());
        let err = fields(validate(bad, "client", today()).expect_err("invalid"));
        assert_eq!(
            err,
            [
                "client.last_name",
                "client.siren",
                "client.birth_date",
                "client.siren",
                "client.email",
                "client.phone"
            ]
        );
    }

    #[test]
    fn a_company_needs_a_name_and_a_valid_siren_or_siret() {
        let mut company = person();
        company.kind = Kind::Company;
        company.civility = None;
        company.birth_date = None;
        company.last_name = String::new();
        company.first_name = String::new();
        let err = fields(validate(company.clone(), "client", today()).expect_err("invalid"));
        assert_eq!(err, ["client.company_name", "client.siren"]);

        company.company_name = "La Poste".into();
        company.siret = Some("356 000 000 00048".into());
        let ok = validate(company.clone(), "client", today()).expect("valid");
        assert_eq!(ok.siren.as_deref(), Some("356000000"));
        assert_eq!(ok.siret.as_deref(), Some("35600000000048"));

        company.siren = Some("732829320".into());
        let err = fields(validate(company.clone(), "client", today()).expect_err("mismatch"));
        assert_eq!(err, ["client.siret"]);

        company.siren = None;
        company.siret = Some("73282932000075".into());
        let err = fields(validate(company, "client", today()).expect_err("luhn"));
        assert_eq!(err, ["client.siret"]);
    }

    #[test]
    fn addresses_tags_and_custom_fields_are_checked() {
        let mut bad = person();
        bad.postal_address = Some(Address {
            line1: String::new(),
            postal_code: "7500".into(),
            city: "Paris".into(),
            country_code: "FR".into(),
            ..Address::default()
        });
        bad.tags = vec!["".into(), "ok".into(), "no\"quotes".into()];
        bad.custom_fields = BTreeMap::from([
            ("Bad Key".into(), "x".into()),
            ("good_key".into(), "y".into()),
        ]);
        let err = fields(validate(bad, "client", today()).expect_err("invalid"));
        assert_eq!(
            err,
            [
                "client.postal_address.line1",
                "client.postal_address.postal_code",
                "client.tags[0]",
                "client.tags[2]",
                "client.custom_fields[Bad Key]",
            ]
        );
    }
}
