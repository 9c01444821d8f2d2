//! sea-orm entities of the clients service.

pub mod client;
pub mod contact;
pub mod opportunity;
