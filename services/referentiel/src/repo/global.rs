//! Reads of the global data sets, each returned whole and sorted by its page key.

use crm_db::Global as _;

use super::Repo;
use crate::domain::{
    Civility, Country, Currency, EcbRate, LegalForm, LegalInterestRate, ReasonClass, ReasonCode,
    VatCategory, VatRate,
};
use crate::entity::{
    civility, country, currency, ecb_rate, legal_form, legal_interest_rate, reason_code, vat_rate,
};
use crate::error::Error;

/// Page keys: every global data set is sorted and paged by one text key.
pub mod key {
    use crate::domain::{Civility, LegalForm, VatRate};

    /// Returns the key of a VAT rate: country, category key, start date.
    pub fn vat_rate(r: &VatRate) -> String {
        format!("{}/{}/{}", r.country_code, r.category.key(), r.valid_from)
    }

    /// Returns the key of a civility: zero-padded position, then code.
    pub fn civility(c: &Civility) -> String {
        format!("{:010}/{}", c.position, c.code)
    }

    /// Returns the key of a legal form: country, then code.
    pub fn legal_form(f: &LegalForm) -> String {
        format!("{}/{}", f.country_code, f.code)
    }
}

fn sorted<T>(mut rows: Vec<T>, key: impl Fn(&T) -> String) -> Vec<T> {
    rows.sort_by_key(|r| key(r));
    rows
}

impl Repo {
    /// Returns every country, by code.
    pub async fn countries(&self) -> Result<Vec<Country>, Error> {
        let rows = country::Entity::find_global().all(&self.db).await?;
        let rows = rows.into_iter().map(|m| Country {
            code: m.code,
            name: m.name,
            name_fr: m.name_fr,
            sepa: m.sepa,
            eu_member: m.eu_member,
            iban_length: m.iban_length,
        });
        Ok(sorted(rows.collect(), |c| c.code.clone()))
    }

    /// Returns every currency, by code.
    pub async fn currencies(&self) -> Result<Vec<Currency>, Error> {
        let rows = currency::Entity::find_global().all(&self.db).await?;
        let rows = rows.into_iter().map(|m| Currency {
            code: m.code,
            numeric_code: m.numeric_code,
            name: m.name,
            minor_units: m.minor_units,
        });
        Ok(sorted(rows.collect(), |c| c.code.clone()))
    }

    /// Returns every VAT rate, by country, category key and start.
    pub async fn vat_rates(&self) -> Result<Vec<VatRate>, Error> {
        let mut out = Vec::new();
        for m in vat_rate::Entity::find_global().all(&self.db).await? {
            let category = VatCategory::parse(&m.category)
                .ok_or_else(|| Error::Corrupt(format!("VAT category {:?}", m.category)))?;
            out.push(VatRate {
                country_code: m.country_code,
                category,
                rate_bps: m.rate_bps,
                valid_from: m.valid_from,
                valid_to: m.valid_to,
                description: m.description,
            });
        }
        Ok(sorted(out, key::vat_rate))
    }

    /// Returns every SEPA reason code, by code.
    pub async fn reason_codes(&self) -> Result<Vec<ReasonCode>, Error> {
        let mut out = Vec::new();
        for m in reason_code::Entity::find_global().all(&self.db).await? {
            let class = ReasonClass::parse(&m.class)
                .ok_or_else(|| Error::Corrupt(format!("reason class {:?}", m.class)))?;
            out.push(ReasonCode {
                code: m.code,
                meaning: m.meaning,
                class,
                action: m.action,
                retryable: m.retryable,
                retry_limit: m.retry_limit,
                retry_countries: m
                    .retry_countries
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect(),
                fails_mandate: m.fails_mandate,
            });
        }
        Ok(sorted(out, |r| r.code.clone()))
    }

    /// Returns every legal interest period, by country and start.
    pub async fn legal_interest_rates(&self) -> Result<Vec<LegalInterestRate>, Error> {
        let rows = legal_interest_rate::Entity::find_global()
            .all(&self.db)
            .await?;
        let rows = rows.into_iter().map(|m| LegalInterestRate {
            country_code: m.country_code,
            valid_from: m.valid_from,
            valid_to: m.valid_to,
            individual_bps: m.individual_bps,
            other_bps: m.other_bps,
        });
        Ok(sorted(rows.collect(), |r| {
            format!("{}/{}", r.country_code, r.valid_from)
        }))
    }

    /// Returns the ECB rate series, by start.
    pub async fn ecb_rates(&self) -> Result<Vec<EcbRate>, Error> {
        let rows = ecb_rate::Entity::find_global().all(&self.db).await?;
        let mut rows: Vec<EcbRate> = rows
            .into_iter()
            .map(|m| EcbRate {
                valid_from: m.valid_from,
                rate_bps: m.rate_bps,
            })
            .collect();
        rows.sort_by_key(|r| r.valid_from);
        Ok(rows)
    }

    /// Returns every civility, by position then code.
    pub async fn civilities(&self) -> Result<Vec<Civility>, Error> {
        let rows = civility::Entity::find_global().all(&self.db).await?;
        let rows = rows.into_iter().map(|m| Civility {
            code: m.code,
            label: m.label,
            abbreviation: m.abbreviation,
            position: m.position,
        });
        Ok(sorted(rows.collect(), key::civility))
    }

    /// Returns every legal form, by country then code.
    pub async fn legal_forms(&self) -> Result<Vec<LegalForm>, Error> {
        let rows = legal_form::Entity::find_global().all(&self.db).await?;
        let rows = rows.into_iter().map(|m| LegalForm {
            country_code: m.country_code,
            code: m.code,
            name: m.name,
            insee_code: m.insee_code,
            legal_person: m.legal_person,
        });
        Ok(sorted(rows.collect(), key::legal_form))
    }
}
