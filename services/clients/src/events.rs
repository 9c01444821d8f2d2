//! The events the clients service publishes, written into its outbox in the transaction
//! of the change they describe.

use crm_events::NewEvent;
use crm_proto::events::v1 as ev;
use prost::Message as _;
use uuid::Uuid;

use crate::convert::{client_to_proto, date_to_proto, timestamp};
use crate::domain::Client;
use crate::domain::opportunity::{Amount, Opportunity, Stage};

/// Who caused a change, for the events' metadata.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The user, when a user did.
    pub user_id: Option<Uuid>,
    /// The trace of the request.
    pub traceparent: Option<String>,
}

fn meta(c: &Client, actor: &Actor) -> ev::EventMeta {
    ev::EventMeta {
        organisation_id: c.organisation_id.to_string(),
        aggregate_id: c.id.to_string(),
        aggregate_version: c.version,
        occur_time: Some(timestamp(c.updated_at)),
        actor_user_id: actor.user_id.map(|u| u.to_string()).unwrap_or_default(),
    }
}

fn display_name(c: &Client) -> String {
    c.data.display_name()
}

fn new_event(event_type: &'static str, c: &Client, actor: &Actor, payload: Vec<u8>) -> NewEvent {
    NewEvent {
        event_type,
        organisation_id: c.organisation_id,
        aggregate_id: c.id.to_string(),
        aggregate_version: c.version,
        payload,
        traceparent: actor.traceparent.clone(),
    }
}

/// Returns `client.created`.
pub fn created(c: &Client, actor: &Actor) -> NewEvent {
    let p = client_to_proto(c);
    let message = ev::ClientCreated {
        meta: Some(meta(c, actor)),
        client_id: p.id,
        kind: p.kind,
        civility: p.civility,
        first_name: p.first_name,
        last_name: p.last_name,
        company_name: p.company_name,
        display_name: display_name(c),
        email: p.email,
        phone: p.phone,
        commercial_id: p.commercial_id,
        status: p.status,
        source: p.source,
        tags: p.tags,
    };
    new_event("client.created", c, actor, message.encode_to_vec())
}

/// Returns `client.updated` for the change from `before` to `after` of the fields `paths`.
pub fn updated(before: &Client, after: &Client, paths: &[String], actor: &Actor) -> NewEvent {
    let (b, a) = (client_to_proto(before), client_to_proto(after));
    let message = ev::ClientUpdated {
        meta: Some(meta(after, actor)),
        client_id: a.id,
        update_mask: Some(prost_types::FieldMask {
            paths: paths.to_vec(),
        }),
        display_name: display_name(after),
        email: a.email,
        phone: a.phone,
        status: a.status,
        previous_status: b.status,
        commercial_id: a.commercial_id,
        previous_commercial_id: b.commercial_id,
        tags: a.tags,
    };
    new_event("client.updated", after, actor, message.encode_to_vec())
}

/// Returns `client.archived`.
pub fn archived(before: &Client, after: &Client, actor: &Actor) -> NewEvent {
    let b = client_to_proto(before);
    let message = ev::ClientArchived {
        meta: Some(meta(after, actor)),
        client_id: after.id.to_string(),
        previous_status: b.status,
        commercial_id: b.commercial_id,
    };
    new_event("client.archived", after, actor, message.encode_to_vec())
}

/// Returns `client.merged` for the survivor `after` of a merge of `merged`.
pub fn merged(after: &Client, merged: &[Uuid], actor: &Actor) -> NewEvent {
    let message = ev::ClientMerged {
        meta: Some(meta(after, actor)),
        client_id: after.id.to_string(),
        merged_client_ids: merged.iter().map(Uuid::to_string).collect(),
        commercial_id: after
            .data
            .commercial_id
            .map(|c| c.to_string())
            .unwrap_or_default(),
    };
    new_event("client.merged", after, actor, message.encode_to_vec())
}

fn opportunity_meta(o: &Opportunity, actor: &Actor) -> ev::EventMeta {
    ev::EventMeta {
        organisation_id: o.organisation_id.to_string(),
        aggregate_id: o.id.to_string(),
        aggregate_version: o.version,
        occur_time: Some(timestamp(o.updated_at)),
        actor_user_id: actor.user_id.map(|u| u.to_string()).unwrap_or_default(),
    }
}

fn opportunity_event(
    event_type: &'static str,
    o: &Opportunity,
    actor: &Actor,
    payload: Vec<u8>,
) -> NewEvent {
    NewEvent {
        event_type,
        organisation_id: o.organisation_id,
        aggregate_id: o.id.to_string(),
        aggregate_version: o.version,
        payload,
        traceparent: actor.traceparent.clone(),
    }
}

/// Returns the events' stage value: crm.events.v1.OpportunityStage has the numbers of
/// crm.clients.v1.OpportunityStage.
pub fn stage_value(s: Stage) -> i32 {
    (match s {
        Stage::New => ev::OpportunityStage::New,
        Stage::Qualified => ev::OpportunityStage::Qualified,
        Stage::Proposal => ev::OpportunityStage::Proposal,
        Stage::Negotiation => ev::OpportunityStage::Negotiation,
        Stage::Won => ev::OpportunityStage::Won,
        Stage::Lost => ev::OpportunityStage::Lost,
    }) as i32
}

fn money(a: &Option<Amount>) -> Option<crm_proto::common::v1::Money> {
    a.as_ref().map(|a| crm_proto::common::v1::Money {
        currency_code: a.currency_code.clone(),
        amount_minor: a.amount_minor,
    })
}

fn id_text(id: Option<Uuid>) -> String {
    id.map(|i| i.to_string()).unwrap_or_default()
}

/// Returns `opportunity.stage_changed` for the move from `before` to `after`.
pub fn stage_changed(before: &Opportunity, after: &Opportunity, actor: &Actor) -> NewEvent {
    let message = ev::OpportunityStageChanged {
        meta: Some(opportunity_meta(after, actor)),
        opportunity_id: after.id.to_string(),
        client_id: after.client_id.to_string(),
        commercial_id: id_text(after.data.commercial_id),
        previous_stage: stage_value(before.stage),
        stage: stage_value(after.stage),
        amount: money(&after.data.amount),
        probability: after.probability(),
        expected_close_date: after.data.expected_close_date.map(date_to_proto),
    };
    opportunity_event(
        "opportunity.stage_changed",
        after,
        actor,
        message.encode_to_vec(),
    )
}

/// Returns `opportunity.won`.
pub fn won(before: &Opportunity, after: &Opportunity, actor: &Actor) -> NewEvent {
    let message = ev::OpportunityWon {
        meta: Some(opportunity_meta(after, actor)),
        opportunity_id: after.id.to_string(),
        client_id: after.client_id.to_string(),
        commercial_id: id_text(after.data.commercial_id),
        previous_stage: stage_value(before.stage),
        product_id: id_text(after.data.product_id),
        amount: money(&after.data.amount),
    };
    opportunity_event("opportunity.won", after, actor, message.encode_to_vec())
}

/// Returns `opportunity.lost`.
pub fn lost(before: &Opportunity, after: &Opportunity, actor: &Actor) -> NewEvent {
    let message = ev::OpportunityLost {
        meta: Some(opportunity_meta(after, actor)),
        opportunity_id: after.id.to_string(),
        client_id: after.client_id.to_string(),
        commercial_id: id_text(after.data.commercial_id),
        previous_stage: stage_value(before.stage),
        amount: money(&after.data.amount),
        lost_reason: after.lost_reason.clone(),
    };
    opportunity_event("opportunity.lost", after, actor, message.encode_to_vec())
}
