//! The tables of the retry service.

pub mod attempt;
pub mod chain;
pub mod policy;
