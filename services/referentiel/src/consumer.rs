//! The `organisation.created` consumer: a new organisation starts with the default
//! value lists (lead sources, termination reasons), once, whatever the redeliveries.

use std::time::Duration;

use crm_db::Tenant;
use crm_events::consume::{Delivered, Handler, HandlerError, Subscription};
use futures::future::BoxFuture;
use sea_orm::DatabaseTransaction;

use crate::repo;

/// The event type this consumer applies.
pub const ORGANISATION_CREATED: &str = "organisation.created";

/// Returns the subscription of the tenant-defaults consumer.
pub fn subscription() -> Subscription {
    Subscription {
        service: crate::SPEC.name.to_owned(),
        name: "tenant-defaults".to_owned(),
        event_types: vec![ORGANISATION_CREATED.to_owned()],
        max_deliver: 5,
        backoff: [1, 5, 30, 60].map(Duration::from_secs).to_vec(),
    }
}

/// Writes the default value lists of each new organisation.
#[derive(Debug, Default)]
pub struct TenantDefaults;

impl Handler for TenantDefaults {
    fn handle<'a>(
        &'a self,
        txn: &'a DatabaseTransaction,
        event: &'a Delivered,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            // The in-process bus may hand over other types; only this one has defaults.
            if event.event_type != ORGANISATION_CREATED {
                return Ok(());
            }
            repo::seed_defaults(txn, Tenant::new(event.organisation_id))
                .await
                .map_err(|e| HandlerError(e.to_string()))
        })
    }
}
