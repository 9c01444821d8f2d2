//! Domain events. A service writes its events into its own `outbox` table in the same
//! transaction as the state change (so an event exists if and only if the change
//! committed); a relay publishes the outbox in commit order to the JetStream stream
//! `CRM_EVENTS` with CloudEvents headers, and marks rows sent only after the broker's
//! acknowledgement. NATS being down delays events; it never loses them, and the
//! `Nats-Msg-Id` de-duplication makes a retried publish count once.

pub mod bus;
pub mod consume;
pub mod entity;
pub mod jetstream;
pub mod metrics;
pub mod migration;
pub mod outbox;
pub mod relay;

pub use bus::Bus;
pub use metrics::EventMetrics;
pub use outbox::{NewEvent, append, append_many, append_packed};
pub use relay::{Publisher, Relay};
