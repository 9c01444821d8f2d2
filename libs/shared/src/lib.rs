//! Domain primitives shared by every service: money in integer minor units,
//! validators for banking and company identifiers, and the TARGET business-day calendar.
//!
//! Everything here is a pure function over plain values: no I/O, no clock, no floats.
//! The rules and their test vectors come from section 0 of `shared/spec/domain-rules.md`.

#![warn(missing_docs)]
// Tests assert on known-good values; a panic there is the failure report.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod calendar;
pub mod money;
pub mod validate;

pub use money::{Currency, Money, MoneyError, Rate};
pub use validate::ValidationError;
