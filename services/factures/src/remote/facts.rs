//! Other services' answers turned into what invoices need: the organisation's identity
//! and invoicing settings, and a client's identity.

use std::collections::BTreeMap;

use crm_proto::clients::v1 as clients;
use crm_proto::organisations::v1 as organisations;
use uuid::Uuid;

use super::{ClientFacts, OrgFacts};
use crate::convert::address_from_proto;
use crate::domain::issue::{DEFAULT_EARLY_PAYMENT, DEFAULT_PAYMENT_TERMS_DAYS, Policy};
use crate::domain::number::{DEFAULT_CREDIT_NOTE_PREFIX, DEFAULT_INVOICE_PREFIX, series_prefix};
use crate::domain::{Address, Buyer, ClientKind, Seller};

fn setting(settings: &BTreeMap<String, String>, key: &str) -> String {
    settings
        .get(key)
        .map(|v| v.trim().to_owned())
        .unwrap_or_default()
}

/// Returns the facts of an organisation.
pub fn org_facts(o: organisations::Organisation) -> OrgFacts {
    let settings: BTreeMap<String, String> = o.settings.into_iter().collect();
    let s = |key: &str| setting(&settings, key);
    let country = if o.country_code.trim().is_empty() {
        "FR".to_owned()
    } else {
        o.country_code.trim().to_owned()
    };
    let address_country = match s("address_country_code") {
        c if c.is_empty() => country.clone(),
        c => c,
    };
    let legal_name = if o.legal_name.trim().is_empty() {
        o.name.trim().to_owned()
    } else {
        o.legal_name.trim().to_owned()
    };
    let siren = o.siren.trim().to_owned();
    let vat_number = match s("vat_number") {
        v if v.is_empty() && country == "FR" => crm_shared::validate::validate_siren(&siren)
            .map(|sn| {
                crm_shared::validate::fr_vat_from_siren(&sn)
                    .as_str()
                    .to_owned()
            })
            .unwrap_or_default(),
        v => v,
    };
    let terms = s("payment_terms_days")
        .parse::<i32>()
        .ok()
        .filter(|d| (0..=365).contains(d))
        .unwrap_or(DEFAULT_PAYMENT_TERMS_DAYS);
    let early = match s("early_payment_discount") {
        e if e.is_empty() => DEFAULT_EARLY_PAYMENT.to_owned(),
        e => e,
    };
    OrgFacts {
        seller: Seller {
            legal_name,
            siren,
            vat_number,
            address: Address {
                line1: s("address_line1"),
                line2: s("address_line2"),
                postal_code: s("postal_code"),
                city: s("city"),
                region: s("region"),
                country_code: address_country,
            },
            legal_form: s("legal_form"),
            share_capital: s("share_capital"),
            rcs: s("rcs"),
        },
        time_zone: o.time_zone.parse().unwrap_or(chrono_tz::Europe::Paris),
        country,
        invoice_prefix: series_prefix(&o.invoice_prefix, DEFAULT_INVOICE_PREFIX),
        credit_note_prefix: series_prefix(&s("credit_note_prefix"), DEFAULT_CREDIT_NOTE_PREFIX),
        policy: Policy {
            payment_terms_days: terms,
            early_payment_discount: early,
        },
    }
}

/// Returns the facts of a client: its billing address (the postal one when it has
/// none), its SIREN (from the SIRET when only that is known) and, for a French company,
/// the VAT number derived from the SIREN.
pub fn client_facts(c: &clients::Client) -> ClientFacts {
    let kind = if c.kind == clients::ClientKind::Company as i32 {
        ClientKind::Company
    } else {
        ClientKind::Person
    };
    let name = match kind {
        ClientKind::Company => c.company_name.trim().to_owned(),
        ClientKind::Person => format!("{} {}", c.first_name.trim(), c.last_name.trim())
            .trim()
            .to_owned(),
    };
    let address = c
        .billing_address
        .as_ref()
        .map(address_from_proto)
        .filter(Address::is_complete)
        .or_else(|| c.postal_address.as_ref().map(address_from_proto))
        .unwrap_or_default();
    let siret = c.siret.trim().to_owned();
    let siren = match c.siren.trim() {
        "" => siret.get(0..9).unwrap_or_default().to_owned(),
        s => s.to_owned(),
    };
    let french = matches!(address.country_code.as_str(), "" | "FR");
    let vat_number = if kind == ClientKind::Company && french {
        crm_shared::validate::validate_siren(&siren)
            .map(|sn| {
                crm_shared::validate::fr_vat_from_siren(&sn)
                    .as_str()
                    .to_owned()
            })
            .unwrap_or_default()
    } else {
        String::new()
    };
    ClientFacts {
        buyer: Buyer {
            kind,
            name,
            address,
            siren: if kind == ClientKind::Company {
                siren
            } else {
                String::new()
            },
            siret: if kind == ClientKind::Company {
                siret
            } else {
                String::new()
            },
            vat_number,
        },
        commercial_id: Uuid::parse_str(&c.commercial_id).ok(),
    }
}
