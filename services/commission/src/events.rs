//! The events the commission service publishes, written into its outbox in the
//! transaction of the change they describe: commission.entry_created for each new
//! entry, statement.closed for each statement of a month being closed.

use crm_events::NewEvent;
use crm_kit::convert::{date_to_proto, timestamp};
use crm_proto::common::v1 as common;
use crm_proto::events::v1 as ev;
use prost::Message as _;
use uuid::Uuid;

use crate::convert::{kind_to_proto, source_to_proto};
use crate::domain::{Kind, Month, Source};
use crate::entity::{entry, statement};

/// Who caused a change, for the events' metadata.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The user, when a user did.
    pub user_id: Option<Uuid>,
    /// The trace of the request.
    pub traceparent: Option<String>,
}

fn money(currency: &str, amount_minor: i64) -> Option<common::Money> {
    Some(common::Money {
        currency_code: currency.to_owned(),
        amount_minor,
    })
}

fn id_text(id: Option<Uuid>) -> String {
    id.map(|i| i.to_string()).unwrap_or_default()
}

/// Returns `commission.entry_created` for a new entry.
pub fn entry_created(e: &entry::Model, traceparent: Option<&str>) -> NewEvent {
    let period = Month::parse(&e.period);
    let kind = Kind::parse(&e.kind);
    let source = Source::parse(&e.source);
    let message = ev::CommissionEntryCreated {
        meta: Some(ev::EventMeta {
            organisation_id: e.organisation_id.to_string(),
            aggregate_id: e.id.to_string(),
            aggregate_version: 1,
            occur_time: Some(timestamp(e.created_at)),
            actor_user_id: String::new(),
        }),
        entry_id: e.id.to_string(),
        commercial_id: e.commercial_id.to_string(),
        source: source.map_or(0, |s| source_to_proto(s) as i32),
        contract_id: e.contract_id.to_string(),
        payment_id: id_text(e.payment_id),
        kind: kind.map_or(0, |k| kind_to_proto(k) as i32),
        amount: money(&e.currency, e.amount),
        base_amount: money(&e.currency, e.base_amount),
        rate_basis_points: e.rate_bps,
        period_start: period.map(|p| date_to_proto(p.first_day())),
        period_end: period.map(|p| date_to_proto(p.last_day())),
        source_commercial_id: id_text(e.source_commercial_id),
        override_level: e.override_level,
        original_entry_id: id_text(e.original_entry_id),
    };
    NewEvent {
        event_type: "commission.entry_created",
        organisation_id: e.organisation_id,
        aggregate_id: e.id.to_string(),
        aggregate_version: 1,
        payload: message.encode_to_vec(),
        traceparent: traceparent.map(str::to_owned),
    }
}

/// Returns `statement.closed` for a statement of `month` just closed.
pub fn statement_closed(s: &statement::Model, month: Month, actor: &Actor) -> NewEvent {
    let c = &s.currency;
    let message = ev::StatementClosed {
        meta: Some(ev::EventMeta {
            organisation_id: s.organisation_id.to_string(),
            aggregate_id: s.id.to_string(),
            aggregate_version: 1,
            occur_time: Some(timestamp(s.closed_at)),
            actor_user_id: id_text(actor.user_id),
        }),
        statement_id: s.id.to_string(),
        commercial_id: s.commercial_id.to_string(),
        period_start: Some(date_to_proto(month.first_day())),
        period_end: Some(date_to_proto(month.last_day())),
        opening_balance: money(c, s.opening_balance),
        earned: money(c, s.earned),
        clawbacks: money(c, s.clawbacks),
        closing_balance: money(c, s.closing_balance),
        payable: money(c, s.payable),
        entry_count: i32::try_from(s.entry_count).unwrap_or(i32::MAX),
    };
    NewEvent {
        event_type: "statement.closed",
        organisation_id: s.organisation_id,
        aggregate_id: s.id.to_string(),
        aggregate_version: 1,
        payload: message.encode_to_vec(),
        traceparent: actor.traceparent.clone(),
    }
}
