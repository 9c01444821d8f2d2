//! The events the users service publishes, written into its outbox in the transaction
//! of the change they describe. A user is not tenant-owned, but every event names an
//! organisation: `user.created` names the one created with the account at sign-up.

use crm_events::NewEvent;
use crm_proto::events::v1 as ev;
use prost::Message as _;
use uuid::Uuid;

use crate::convert::timestamp;
use crate::domain::User;

/// The version of a new user's aggregate. Accounts carry no version column yet; the
/// creation is the aggregate's first event.
pub const CREATED_VERSION: i64 = 1;

/// Returns `user.created` for `user`, who signed up with the organisation
/// `organisation_id`, during the request traced by `traceparent`. The verification
/// token stays empty: e-mail verification is not implemented yet.
pub fn user_created(user: &User, organisation_id: Uuid, traceparent: Option<String>) -> NewEvent {
    let message = ev::UserCreated {
        meta: Some(ev::EventMeta {
            organisation_id: organisation_id.to_string(),
            aggregate_id: user.id.to_string(),
            aggregate_version: CREATED_VERSION,
            occur_time: Some(timestamp(user.created_at)),
            // The account creates itself.
            actor_user_id: user.id.to_string(),
        }),
        user_id: user.id.to_string(),
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        verification_token: String::new(),
        verification_expire_time: None,
    };
    NewEvent {
        event_type: "user.created",
        organisation_id,
        aggregate_id: user.id.to_string(),
        aggregate_version: CREATED_VERSION,
        payload: message.encode_to_vec(),
        traceparent,
    }
}
