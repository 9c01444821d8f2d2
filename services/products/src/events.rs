//! The events the products service publishes, written into its outbox in the
//! transaction of the change they describe: product.created, product.updated (archiving
//! included) and product.price_changed.

use crm_events::NewEvent;
use crm_proto::common::v1 as common;
use crm_proto::events::v1 as ev;
use prost::Message as _;
use uuid::Uuid;

use crate::convert::{date_to_proto, timestamp};
use crate::domain::{Frequency, Kind, PricePeriod, Product, Status};

/// Who caused a change, for the events' metadata.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The user, when a user did.
    pub user_id: Option<Uuid>,
    /// The trace of the request.
    pub traceparent: Option<String>,
}

fn meta(p: &Product, actor: &Actor) -> ev::EventMeta {
    ev::EventMeta {
        organisation_id: p.organisation_id.to_string(),
        aggregate_id: p.id.to_string(),
        aggregate_version: p.version,
        occur_time: Some(timestamp(p.updated_at)),
        actor_user_id: actor.user_id.map(|u| u.to_string()).unwrap_or_default(),
    }
}

fn new_event(event_type: &'static str, p: &Product, actor: &Actor, payload: Vec<u8>) -> NewEvent {
    NewEvent {
        event_type,
        organisation_id: p.organisation_id,
        aggregate_id: p.id.to_string(),
        aggregate_version: p.version,
        payload,
        traceparent: actor.traceparent.clone(),
    }
}

fn kind(k: Kind) -> i32 {
    match k {
        Kind::Subscription => ev::ProductKind::Subscription as i32,
        Kind::OneOff => ev::ProductKind::OneOff as i32,
    }
}

fn frequency(f: Option<Frequency>) -> i32 {
    let f = match f {
        None => ev::BillingFrequency::Unspecified,
        Some(Frequency::Monthly) => ev::BillingFrequency::Monthly,
        Some(Frequency::Quarterly) => ev::BillingFrequency::Quarterly,
        Some(Frequency::SemiAnnual) => ev::BillingFrequency::SemiAnnual,
        Some(Frequency::Annual) => ev::BillingFrequency::Annual,
    };
    f as i32
}

fn status(s: Status) -> i32 {
    match s {
        Status::Active => ev::ProductStatus::Active as i32,
        Status::Archived => ev::ProductStatus::Archived as i32,
    }
}

fn money(amount_minor: i64, currency: &str) -> common::Money {
    common::Money {
        currency_code: currency.to_owned(),
        amount_minor,
    }
}

/// Returns `product.created`, with the first price when one was set.
pub fn created(p: &Product, price: Option<&PricePeriod>, actor: &Actor) -> NewEvent {
    let d = &p.data;
    let message = ev::ProductCreated {
        meta: Some(meta(p, actor)),
        product_id: p.id.to_string(),
        code: d.code.clone(),
        name: d.name.clone(),
        category: d.category.clone(),
        kind: kind(d.kind),
        billing_frequency: frequency(d.frequency),
        vat_category: d.vat_category.as_str().to_owned(),
        status: status(p.status),
        price: price.map(|pp| money(pp.amount_minor, &pp.currency)),
        price_valid_from: price.map(|pp| date_to_proto(pp.valid_from)),
    };
    new_event("product.created", p, actor, message.encode_to_vec())
}

/// Returns `product.updated` for the fields `paths` that changed.
pub fn updated(p: &Product, paths: Vec<String>, actor: &Actor) -> NewEvent {
    let d = &p.data;
    let message = ev::ProductUpdated {
        meta: Some(meta(p, actor)),
        product_id: p.id.to_string(),
        update_mask: Some(prost_types::FieldMask { paths }),
        code: d.code.clone(),
        name: d.name.clone(),
        category: d.category.clone(),
        kind: kind(d.kind),
        billing_frequency: frequency(d.frequency),
        vat_category: d.vat_category.as_str().to_owned(),
        status: status(p.status),
    };
    new_event("product.updated", p, actor, message.encode_to_vec())
}

/// Returns `product.price_changed` for the new period `price`, with the amount in force
/// the day before it, when there was one.
pub fn price_changed(
    p: &Product,
    price: &PricePeriod,
    previous_amount: Option<i64>,
    actor: &Actor,
) -> NewEvent {
    let message = ev::ProductPriceChanged {
        meta: Some(meta(p, actor)),
        product_id: p.id.to_string(),
        code: p.data.code.clone(),
        price: Some(money(price.amount_minor, &price.currency)),
        valid_from: Some(date_to_proto(price.valid_from)),
        previous_price: previous_amount.map(|a| money(a, &price.currency)),
    };
    new_event("product.price_changed", p, actor, message.encode_to_vec())
}
