//! sea-orm entities of the calendar service.

pub mod closed_day;
pub mod event;
pub mod working_hours;
