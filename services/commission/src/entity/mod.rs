//! sea-orm entities of the commission service; every table is tenant-owned.

pub mod entry;
pub mod fact;
pub mod period;
pub mod plan;
pub mod statement;
