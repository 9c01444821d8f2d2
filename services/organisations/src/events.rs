//! The events the organisations service publishes, written into its outbox in the
//! transaction of the change they describe.
//!
//! Aggregates and versions: `organisation.created`, `member.added` and `member.removed`
//! are about the organisation, versioned by its `membership_version` counter. A new
//! organisation is version 1 and its creator joining as owner is version 2 (the
//! organisation row stores 2); every later membership change bumps the counter in its
//! own transaction, so versions of one organisation strictly increase in commit order.
//! A role change bumps it too but has no event in the catalogue, so versions may skip.
//! `invitation.created` is about the invitation, which is created at version 1.

use chrono::{DateTime, Utc};
use crm_events::NewEvent;
use crm_proto::events::v1 as ev;
use prost::Message as _;
use uuid::Uuid;

use crate::convert::timestamp;
use crate::domain::{Invitation, Membership, Organisation};

/// The version of a new organisation's aggregate: its `organisation.created`.
pub const CREATED_VERSION: i64 = 1;
/// The version after the creator joined as owner: the organisation row's initial
/// `membership_version`.
pub const OWNER_ADDED_VERSION: i64 = 2;

/// Who caused a change, for the events' metadata.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// The user, when a user did.
    pub user_id: Option<Uuid>,
    /// The trace of the request.
    pub traceparent: Option<String>,
}

impl Actor {
    /// Returns the actor of a request.
    pub fn of(ctx: &crm_kit::RequestContext) -> Self {
        Self {
            user_id: ctx.user_id().ok(),
            traceparent: ctx.traceparent.clone(),
        }
    }
}

/// Where an event belongs: organisation, aggregate, version and time.
struct Header {
    organisation_id: Uuid,
    aggregate_id: Uuid,
    version: i64,
    at: DateTime<Utc>,
}

impl Header {
    fn meta(&self, actor: &Actor) -> ev::EventMeta {
        ev::EventMeta {
            organisation_id: self.organisation_id.to_string(),
            aggregate_id: self.aggregate_id.to_string(),
            aggregate_version: self.version,
            occur_time: Some(timestamp(self.at)),
            actor_user_id: actor.user_id.map(|u| u.to_string()).unwrap_or_default(),
        }
    }

    fn event(&self, event_type: &'static str, actor: &Actor, payload: Vec<u8>) -> NewEvent {
        NewEvent {
            event_type,
            organisation_id: self.organisation_id,
            aggregate_id: self.aggregate_id.to_string(),
            aggregate_version: self.version,
            payload,
            traceparent: actor.traceparent.clone(),
        }
    }
}

fn text(value: Option<&str>) -> String {
    value.unwrap_or_default().to_owned()
}

/// Returns `organisation.created` for `org`, owned by `owner`.
pub fn organisation_created(org: &Organisation, owner: Uuid, actor: &Actor) -> NewEvent {
    let header = Header {
        organisation_id: org.id,
        aggregate_id: org.id,
        version: CREATED_VERSION,
        at: org.created_at,
    };
    let d = &org.data;
    let message = ev::OrganisationCreated {
        meta: Some(header.meta(actor)),
        name: d.name.clone(),
        slug: d.slug.clone(),
        legal_name: d.legal_name.clone(),
        siren: text(d.siren.as_deref()),
        country_code: d.country_code.clone(),
        default_currency: d.default_currency.clone(),
        time_zone: d.time_zone.clone(),
        owner_user_id: owner.to_string(),
    };
    header.event("organisation.created", actor, message.encode_to_vec())
}

/// Returns `member.added` for `member`, at the organisation's membership `version`;
/// `invitation` is the one accepted (none for the creator).
pub fn member_added(
    member: &Membership,
    version: i64,
    invitation: Option<Uuid>,
    actor: &Actor,
) -> NewEvent {
    let header = Header {
        organisation_id: member.organisation_id,
        aggregate_id: member.organisation_id,
        version,
        at: member.created_at,
    };
    let message = ev::MemberAdded {
        meta: Some(header.meta(actor)),
        user_id: member.user_id.to_string(),
        role: member.role.to_proto(),
        commercial_id: member
            .commercial_id
            .map(|c| c.to_string())
            .unwrap_or_default(),
        invitation_id: invitation.map(|i| i.to_string()).unwrap_or_default(),
    };
    header.event("member.added", actor, message.encode_to_vec())
}

/// Returns `member.removed` for the former `member`, at the organisation's membership
/// `version`, removed at `at`.
pub fn member_removed(
    member: &Membership,
    version: i64,
    at: DateTime<Utc>,
    actor: &Actor,
) -> NewEvent {
    let header = Header {
        organisation_id: member.organisation_id,
        aggregate_id: member.organisation_id,
        version,
        at,
    };
    let message = ev::MemberRemoved {
        meta: Some(header.meta(actor)),
        user_id: member.user_id.to_string(),
        role: member.role.to_proto(),
        commercial_id: member
            .commercial_id
            .map(|c| c.to_string())
            .unwrap_or_default(),
    };
    header.event("member.removed", actor, message.encode_to_vec())
}

/// Returns `invitation.created` for `invitation`, carrying its plaintext `token` for the
/// e-mail service (the service itself keeps only the hash).
pub fn invitation_created(invitation: &Invitation, token: &str, actor: &Actor) -> NewEvent {
    let header = Header {
        organisation_id: invitation.organisation_id,
        aggregate_id: invitation.id,
        version: 1,
        at: invitation.created_at,
    };
    let message = ev::InvitationCreated {
        meta: Some(header.meta(actor)),
        invitation_id: invitation.id.to_string(),
        email: invitation.email.clone(),
        role: invitation.role.to_proto(),
        expire_time: Some(timestamp(invitation.expires_at)),
        token: token.to_owned(),
    };
    header.event("invitation.created", actor, message.encode_to_vec())
}
