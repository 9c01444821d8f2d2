//! sea-orm entities of the users service. None of these tables is tenant-owned: an
//! account exists once, whatever organisations it belongs to (memberships live in the
//! organisations service), so none carries `organisation_id` as its owner; each implements
//! `crm_db::Global`, the explicit statement that unscoped queries on it are correct.

pub mod login_attempt;
pub mod refresh_token;
pub mod user;
