//! How MergeClients fills the surviving client from its duplicates.
//!
//! The rule: the survivor's own values always win. Each field that is empty on the
//! survivor takes the value of the first duplicate, in the order the caller listed
//! them, that has one: civility, first name, last name, company name, e-mail, phone,
//! birth date, postal address, billing address, assigned sales agent and lead source.
//! SIREN and SIRET travel as a pair: a SIRET is taken only if it belongs to the
//! survivor's SIREN (when it has one), and a missing SIREN is then the SIRET's first
//! nine digits. Tags are the union (survivor's first, at most 50). Custom fields keep
//! the survivor's keys and add the duplicates' other keys (at most 50). The status stays
//! the survivor's, except that a duplicate that is an active customer makes the
//! survivor ACTIVE.

use super::{ClientData, Status};

const MAX_TAGS: usize = 50;
const MAX_CUSTOM_FIELDS: usize = 50;

fn fill_text(target: &mut String, duplicates: &[&ClientData], get: fn(&ClientData) -> &String) {
    if target.is_empty()
        && let Some(value) = duplicates.iter().map(|d| get(d)).find(|v| !v.is_empty())
    {
        target.clone_from(value);
    }
}

fn fill_option<T: Clone>(
    target: &mut Option<T>,
    duplicates: &[&ClientData],
    get: fn(&ClientData) -> &Option<T>,
) {
    if target.is_none() {
        *target = duplicates.iter().find_map(|d| get(d).clone());
    }
}

/// Returns the survivor's fields filled from `duplicates` by the rule above.
pub fn fill(survivor: &ClientData, duplicates: &[&ClientData]) -> ClientData {
    let mut out = survivor.clone();
    fill_option(&mut out.civility, duplicates, |d| &d.civility);
    fill_text(&mut out.first_name, duplicates, |d| &d.first_name);
    fill_text(&mut out.last_name, duplicates, |d| &d.last_name);
    fill_text(&mut out.company_name, duplicates, |d| &d.company_name);
    fill_option(&mut out.email, duplicates, |d| &d.email);
    fill_option(&mut out.phone, duplicates, |d| &d.phone);
    fill_option(&mut out.birth_date, duplicates, |d| &d.birth_date);
    fill_option(&mut out.postal_address, duplicates, |d| &d.postal_address);
    fill_option(&mut out.billing_address, duplicates, |d| &d.billing_address);
    fill_option(&mut out.commercial_id, duplicates, |d| &d.commercial_id);
    fill_text(&mut out.source, duplicates, |d| &d.source);

    if out.siret.is_none() {
        out.siret = duplicates
            .iter()
            .filter_map(|d| d.siret.as_ref())
            .find(|siret| {
                out.siren
                    .as_ref()
                    .is_none_or(|siren| siret.starts_with(siren.as_str()))
            })
            .cloned();
    }
    if out.siren.is_none() {
        out.siren = match &out.siret {
            Some(siret) => siret.get(..9).map(str::to_owned),
            None => duplicates.iter().find_map(|d| d.siren.clone()),
        };
    }

    for tag in duplicates.iter().flat_map(|d| d.tags.iter()) {
        if out.tags.len() >= MAX_TAGS {
            break;
        }
        if !out.tags.contains(tag) {
            out.tags.push(tag.clone());
        }
    }
    out.tags.sort();
    for (key, value) in duplicates.iter().flat_map(|d| d.custom_fields.iter()) {
        if out.custom_fields.len() >= MAX_CUSTOM_FIELDS {
            break;
        }
        out.custom_fields
            .entry(key.clone())
            .or_insert_with(|| value.clone());
    }
    if duplicates.iter().any(|d| d.status == Status::Active) {
        out.status = Status::Active;
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::NaiveDate;
    use uuid::Uuid;

    use super::super::{Address, Civility, Kind};
    use super::*;

    fn person(last: &str) -> ClientData {
        ClientData {
            kind: Kind::Person,
            civility: None,
            first_name: String::new(),
            last_name: last.into(),
            company_name: String::new(),
            siren: None,
            siret: None,
            email: None,
            phone: None,
            birth_date: None,
            postal_address: None,
            billing_address: None,
            status: Status::Prospect,
            commercial_id: None,
            tags: vec![],
            source: String::new(),
            custom_fields: BTreeMap::new(),
        }
    }

    #[test]
    fn empty_fields_come_from_the_first_duplicate_that_has_them() {
        let mut survivor = person("Martin");
        survivor.email = Some("keep@x.fr".into());
        survivor.tags = vec!["vip".into()];
        survivor.custom_fields.insert("segment".into(), "a".into());
        let mut first = person("Martin");
        first.email = Some("lose@x.fr".into());
        first.phone = None;
        first.tags = vec!["web".into(), "vip".into()];
        first.custom_fields.insert("segment".into(), "b".into());
        first.custom_fields.insert("origin".into(), "fair".into());
        let mut second = person("Martin");
        second.first_name = "Jeanne".into();
        second.civility = Some(Civility::Mrs);
        second.phone = Some("+33612345678".into());
        second.birth_date = NaiveDate::from_ymd_opt(1980, 5, 17);
        second.postal_address = Some(Address {
            line1: "1 rue X".into(),
            city: "Paris".into(),
            ..Address::default()
        });
        second.commercial_id = Some(Uuid::now_v7());
        second.status = Status::Active;
        second.source = "web".into();
        let out = fill(&survivor, &[&first, &second]);
        assert_eq!(out.email.as_deref(), Some("keep@x.fr"));
        assert_eq!(out.first_name, "Jeanne");
        assert_eq!(out.civility, Some(Civility::Mrs));
        assert_eq!(out.phone.as_deref(), Some("+33612345678"));
        assert_eq!(out.birth_date, second.birth_date);
        assert_eq!(out.postal_address, second.postal_address);
        assert_eq!(out.commercial_id, second.commercial_id);
        assert_eq!(out.source, "web");
        assert_eq!(out.tags, ["vip", "web"]);
        assert_eq!(
            out.custom_fields.get("segment").map(String::as_str),
            Some("a")
        );
        assert_eq!(
            out.custom_fields.get("origin").map(String::as_str),
            Some("fair")
        );
        assert_eq!(out.status, Status::Active);
    }

    #[test]
    fn siren_and_siret_travel_together() {
        let mut survivor = person("");
        survivor.kind = Kind::Company;
        survivor.siren = Some("732829320".into());
        let mut other = survivor.clone();
        other.siren = Some("356000000".into());
        other.siret = Some("35600000000048".into());
        // A SIRET of another SIREN is not taken.
        let out = fill(&survivor, &[&other]);
        assert_eq!(out.siret, None);
        assert_eq!(out.siren.as_deref(), Some("732829320"));
        // Without a SIREN, the SIRET brings its own.
        survivor.siren = None;
        let out = fill(&survivor, &[&other]);
        assert_eq!(out.siret.as_deref(), Some("35600000000048"));
        assert_eq!(out.siren.as_deref(), Some("356000000"));
    }
}
