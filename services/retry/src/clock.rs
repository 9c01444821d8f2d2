//! Which day it is for the service: the system's (UTC), or one a test sets.

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use chrono::{Datelike as _, NaiveDate, Utc};

/// The source of "today".
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// Today in UTC.
    #[default]
    System,
    /// The day last set, shared by every clone (days from the common era).
    Manual(Arc<AtomicI32>),
}

impl Clock {
    /// Returns a clock showing `day` until it is set to another.
    pub fn manual(day: NaiveDate) -> Self {
        Clock::Manual(Arc::new(AtomicI32::new(day.num_days_from_ce())))
    }

    /// Moves a manual clock, and every clone of it, to `day`; a system clock ignores it.
    pub fn set(&self, day: NaiveDate) {
        if let Clock::Manual(days) = self {
            days.store(day.num_days_from_ce(), Ordering::SeqCst);
        }
    }

    /// Returns today.
    pub fn today(&self) -> NaiveDate {
        match self {
            Clock::System => Utc::now().date_naive(),
            Clock::Manual(days) => {
                NaiveDate::from_num_days_from_ce_opt(days.load(Ordering::SeqCst))
                    .unwrap_or_else(|| Utc::now().date_naive())
            }
        }
    }
}
