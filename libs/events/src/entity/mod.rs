//! Tables of the event backbone, in each service's own database.

pub mod dead_letter;
pub mod outbox;
pub mod processed_event;

pub use outbox::{ActiveModel, Column, Entity, Model};
