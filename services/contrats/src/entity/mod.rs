//! sea-orm entities of the contrats service.

pub mod contract;
pub mod counter;
