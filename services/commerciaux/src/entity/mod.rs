//! sea-orm entities of the commerciaux service.

pub mod commercial;
pub mod link;
