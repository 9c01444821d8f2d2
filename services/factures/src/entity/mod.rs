//! sea-orm entities of the factures service.

pub mod invoice;
pub mod payment;
pub mod series;
