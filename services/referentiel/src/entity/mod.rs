//! sea-orm entities of the referentiel service: the global data sets (read through
//! `crm_db::Global`, written only by migrations) and the organisations' value lists
//! (read and written through `crm_db::TenantScoped`).

pub mod civility;
pub mod country;
pub mod currency;
pub mod ecb_rate;
pub mod legal_form;
pub mod legal_interest_rate;
pub mod list_value;
pub mod reason_code;
pub mod value_list;
pub mod vat_rate;
