//! Storage: the global data sets, read whole (they are small, and a data set's version
//! is computed from the same read as the answer), and the organisations' value lists.

mod global;
mod lists;

use chrono::{DateTime, SubsecRound as _, Utc};
use sea_orm::DatabaseConnection;

pub use global::key;
pub use lists::seed_defaults;

/// The referentiel store.
#[derive(Debug, Clone)]
pub struct Repo {
    db: DatabaseConnection,
}

impl Repo {
    /// Returns a store over `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

/// Returns the current time as both backends store it (microseconds).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
