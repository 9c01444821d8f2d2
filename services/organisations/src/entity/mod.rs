//! sea-orm entities of the organisations service.

pub mod invitation;
pub mod membership;
pub mod organisation;
