//! sea-orm entities of the products service.

pub mod price;
pub mod product;
