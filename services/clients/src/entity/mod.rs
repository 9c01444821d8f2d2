//! sea-orm entities of the clients service.

pub mod client;
