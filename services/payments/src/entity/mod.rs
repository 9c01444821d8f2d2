//! sea-orm entities of the payments service.

pub mod batch;
pub mod creditor_account;
pub mod instalment;
pub mod mandate;
pub mod mandate_reference;
pub mod payment;
pub mod schedule;
pub mod settings;
