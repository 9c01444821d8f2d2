//! Business-day calendars: TARGET (T2), used for all SEPA date arithmetic, and the
//! French public holidays, which are not TARGET closing days `[CENTRALPAY-HOL]`.
//!
//! Easter-dependent holidays are only known for [`SUPPORTED_YEARS`] (1583 to 4099, the
//! range of the Easter formula); stepping functions return `None` rather than guess
//! outside it.

mod easter;
mod france;
mod target;

pub use easter::{SUPPORTED_YEARS, easter_sunday};
pub use france::{french_public_holidays, is_french_public_holiday};
pub use target::{
    add_target_days, is_target_day, is_target_holiday, next_target_day, prev_target_day,
    target_holidays,
};
