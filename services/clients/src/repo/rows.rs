//! Rows to domain values and back.

use std::collections::BTreeMap;

use sea_orm::ActiveValue::Set;

use crate::domain::contact::{Contact, ContactData};
use crate::domain::duplicates::name_key;
use crate::domain::opportunity::{Amount, Opportunity, OpportunityData, Stage};
use crate::domain::{Address, Civility, Client, ClientData, Kind, Status};
use crate::entity::{client, contact, opportunity};

/// Returns the client of a row.
pub fn client_of(m: client::Model) -> Client {
    let address =
        |json: Option<String>| json.and_then(|j| serde_json::from_str::<Address>(&j).ok());
    Client {
        id: m.id,
        organisation_id: m.organisation_id,
        data: ClientData {
            kind: Kind::parse(&m.kind).unwrap_or(Kind::Person),
            civility: m.civility.as_deref().and_then(Civility::parse),
            first_name: m.first_name,
            last_name: m.last_name,
            company_name: m.company_name,
            siren: m.siren,
            siret: m.siret,
            email: m.email,
            phone: m.phone,
            birth_date: m.birth_date,
            postal_address: address(m.postal_address),
            billing_address: address(m.billing_address),
            status: Status::parse(&m.status).unwrap_or(Status::Prospect),
            commercial_id: m.commercial_id,
            tags: serde_json::from_str(&m.tags).unwrap_or_default(),
            source: m.source,
            custom_fields: serde_json::from_str::<BTreeMap<String, String>>(&m.custom_fields)
                .unwrap_or_default(),
        },
        previous_status: m.previous_status.as_deref().and_then(Status::parse),
        merged_into: m.merged_into_id,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }
}

/// Returns the row of a client; `request_id` only matters on insert.
pub fn client_row(c: &Client, request_id: Option<uuid::Uuid>) -> client::ActiveModel {
    let json = |a: &Option<Address>| a.as_ref().and_then(|a| serde_json::to_string(a).ok());
    let d = &c.data;
    client::ActiveModel {
        id: Set(c.id),
        organisation_id: Set(c.organisation_id),
        kind: Set(d.kind.as_str().to_owned()),
        civility: Set(d.civility.map(|c| c.as_str().to_owned())),
        first_name: Set(d.first_name.clone()),
        last_name: Set(d.last_name.clone()),
        company_name: Set(d.company_name.clone()),
        siren: Set(d.siren.clone()),
        siret: Set(d.siret.clone()),
        email: Set(d.email.clone()),
        email_key: Set(d.email.as_ref().map(|e| e.to_lowercase())),
        phone: Set(d.phone.clone()),
        birth_date: Set(d.birth_date),
        postal_address: Set(json(&d.postal_address)),
        billing_address: Set(json(&d.billing_address)),
        status: Set(d.status.as_str().to_owned()),
        previous_status: Set(c.previous_status.map(|s| s.as_str().to_owned())),
        commercial_id: Set(d.commercial_id),
        tags: Set(serde_json::to_string(&d.tags).unwrap_or_else(|_| "[]".into())),
        source: Set(d.source.clone()),
        custom_fields: Set(serde_json::to_string(&d.custom_fields).unwrap_or_else(|_| "{}".into())),
        search_text: Set(d.search_text()),
        request_id: Set(request_id),
        name_key: Set(name_key(d)),
        merged_into_id: Set(c.merged_into),
        created_at: Set(c.created_at),
        updated_at: Set(c.updated_at),
        version: Set(c.version),
    }
}

/// Returns the contact of a row.
pub fn contact_of(m: contact::Model) -> Contact {
    Contact {
        id: m.id,
        organisation_id: m.organisation_id,
        client_id: m.client_id,
        data: ContactData {
            first_name: m.first_name,
            last_name: m.last_name,
            job_title: m.job_title,
            email: m.email,
            phone: m.phone,
            is_primary: m.is_primary,
        },
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }
}

/// Returns the row of a contact; `request_id` only matters on insert.
pub fn contact_row(c: &Contact, request_id: Option<uuid::Uuid>) -> contact::ActiveModel {
    contact::ActiveModel {
        id: Set(c.id),
        organisation_id: Set(c.organisation_id),
        client_id: Set(c.client_id),
        first_name: Set(c.data.first_name.clone()),
        last_name: Set(c.data.last_name.clone()),
        job_title: Set(c.data.job_title.clone()),
        email: Set(c.data.email.clone()),
        phone: Set(c.data.phone.clone()),
        is_primary: Set(c.data.is_primary),
        request_id: Set(request_id),
        created_at: Set(c.created_at),
        updated_at: Set(c.updated_at),
        version: Set(c.version),
    }
}

/// Returns the opportunity of a row.
pub fn opportunity_of(m: opportunity::Model) -> Opportunity {
    let amount = match (m.currency_code, m.amount_minor) {
        (Some(currency_code), Some(amount_minor)) => Some(Amount {
            currency_code,
            amount_minor,
        }),
        _ => None,
    };
    Opportunity {
        id: m.id,
        organisation_id: m.organisation_id,
        client_id: m.client_id,
        data: OpportunityData {
            commercial_id: m.commercial_id,
            product_id: m.product_id,
            product_interest: m.product_interest,
            amount,
            probability: Some(m.probability),
            expected_close_date: m.expected_close_date,
        },
        stage: Stage::parse(&m.stage).unwrap_or(Stage::New),
        lost_reason: m.lost_reason,
        closed_at: m.closed_at,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }
}

/// Returns the row of an opportunity; `request_id` only matters on insert.
pub fn opportunity_row(
    o: &Opportunity,
    request_id: Option<uuid::Uuid>,
) -> opportunity::ActiveModel {
    opportunity::ActiveModel {
        id: Set(o.id),
        organisation_id: Set(o.organisation_id),
        client_id: Set(o.client_id),
        commercial_id: Set(o.data.commercial_id),
        product_id: Set(o.data.product_id),
        product_interest: Set(o.data.product_interest.clone()),
        currency_code: Set(o.data.amount.as_ref().map(|a| a.currency_code.clone())),
        amount_minor: Set(o.data.amount.as_ref().map(|a| a.amount_minor)),
        stage: Set(o.stage.as_str().to_owned()),
        probability: Set(o.probability()),
        expected_close_date: Set(o.data.expected_close_date),
        lost_reason: Set(o.lost_reason.clone()),
        closed_at: Set(o.closed_at),
        request_id: Set(request_id),
        created_at: Set(o.created_at),
        updated_at: Set(o.updated_at),
        version: Set(o.version),
    }
}
