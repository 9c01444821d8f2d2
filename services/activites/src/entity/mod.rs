//! sea-orm entities of the activites service.

pub mod activity;
