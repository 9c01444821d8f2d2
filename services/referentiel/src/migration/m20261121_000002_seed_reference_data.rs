//! Seeds the global data sets with the facts of [`super::seed`] and the reason codes of
//! `crm_sepa::reason`. `down` empties them.

use chrono::NaiveDate;
use sea_orm_migration::prelude::*;

use super::seed;
use crate::domain::reasons::reason_codes;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Returns the date of an ISO text, or `None` for "".
fn date(text: &str) -> Result<Option<NaiveDate>, DbErr> {
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(Some)
        .map_err(|e| DbErr::Custom(format!("seed date {text:?}: {e}")))
}

fn required_date(text: &str) -> Result<NaiveDate, DbErr> {
    date(text)?.ok_or_else(|| DbErr::Custom("seed date missing".into()))
}

/// Returns a multi-row insert into `table` of `rows` (each as many values as `columns`).
fn insert(table: &str, columns: &[&str], rows: Vec<Vec<Expr>>) -> Result<InsertStatement, DbErr> {
    let mut statement = Query::insert();
    statement
        .into_table(Alias::new(table))
        .columns(columns.iter().map(|c| Alias::new(*c)));
    for row in rows {
        statement
            .values(row)
            .map_err(|e| DbErr::Custom(format!("seed of {table}: {e}")))?;
    }
    Ok(statement.to_owned())
}

fn statements() -> Result<Vec<InsertStatement>, DbErr> {
    let countries = seed::COUNTRIES
        .iter()
        .map(|&(code, name, name_fr, sepa, eu, iban)| {
            let iban = (iban > 0).then_some(iban);
            vec![
                Expr::val(code),
                Expr::val(name),
                Expr::val(name_fr),
                Expr::val(sepa),
                Expr::val(eu),
                Expr::val(iban),
            ]
        })
        .collect();
    let currencies = seed::CURRENCIES
        .iter()
        .map(|&(code, numeric, name, minor)| {
            vec![
                Expr::val(code),
                Expr::val(numeric),
                Expr::val(name),
                Expr::val(minor),
            ]
        })
        .collect();
    let mut vat = Vec::new();
    for &(country, category, bps, from, to, description) in seed::VAT_RATES {
        vat.push(vec![
            Expr::val(country),
            Expr::val(category),
            Expr::val(required_date(from)?),
            Expr::val(date(to)?),
            Expr::val(bps),
            Expr::val(description),
        ]);
    }
    // The reason codes are crm_sepa's table, the platform's single one.
    let reasons = reason_codes()
        .into_iter()
        .map(|r| {
            vec![
                Expr::val(r.code),
                Expr::val(r.meaning),
                Expr::val(r.class.key()),
                Expr::val(r.action),
                Expr::val(r.retryable),
                Expr::val(r.retry_limit),
                Expr::val(r.retry_countries.join(",")),
                Expr::val(r.fails_mandate),
            ]
        })
        .collect();
    let mut legal = Vec::new();
    for &(from, to, individual, other) in seed::LEGAL_INTEREST_RATES {
        legal.push(vec![
            Expr::val("FR"),
            Expr::val(required_date(from)?),
            Expr::val(required_date(to)?),
            Expr::val(individual),
            Expr::val(other),
        ]);
    }
    let mut ecb = Vec::new();
    for &(from, bps) in seed::ECB_RATES {
        ecb.push(vec![Expr::val(required_date(from)?), Expr::val(bps)]);
    }
    let civilities = seed::CIVILITIES
        .iter()
        .map(|&(code, label, abbreviation, position)| {
            vec![
                Expr::val(code),
                Expr::val(label),
                Expr::val(abbreviation),
                Expr::val(position),
            ]
        })
        .collect();
    let forms = seed::LEGAL_FORMS
        .iter()
        .map(|&(country, code, name, insee, legal_person)| {
            vec![
                Expr::val(country),
                Expr::val(code),
                Expr::val(name),
                Expr::val(insee),
                Expr::val(legal_person),
            ]
        })
        .collect();
    Ok(vec![
        insert(
            "countries",
            &[
                "code",
                "name",
                "name_fr",
                "sepa",
                "eu_member",
                "iban_length",
            ],
            countries,
        )?,
        insert(
            "currencies",
            &["code", "numeric_code", "name", "minor_units"],
            currencies,
        )?,
        insert(
            "vat_rates",
            &[
                "country_code",
                "category",
                "valid_from",
                "valid_to",
                "rate_bps",
                "description",
            ],
            vat,
        )?,
        insert(
            "reason_codes",
            &[
                "code",
                "meaning",
                "class",
                "action",
                "retryable",
                "retry_limit",
                "retry_countries",
                "fails_mandate",
            ],
            reasons,
        )?,
        insert(
            "legal_interest_rates",
            &[
                "country_code",
                "valid_from",
                "valid_to",
                "individual_bps",
                "other_bps",
            ],
            legal,
        )?,
        insert("ecb_rates", &["valid_from", "rate_bps"], ecb)?,
        insert(
            "civilities",
            &["code", "label", "abbreviation", "position"],
            civilities,
        )?,
        insert(
            "legal_forms",
            &["country_code", "code", "name", "insee_code", "legal_person"],
            forms,
        )?,
    ])
}

/// The tables this migration fills.
const TABLES: &[&str] = &[
    "countries",
    "currencies",
    "vat_rates",
    "reason_codes",
    "legal_interest_rates",
    "ecb_rates",
    "civilities",
    "legal_forms",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for statement in statements()? {
            manager.execute(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager
                .execute(Query::delete().from_table(Alias::new(*table)).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_seed_statement_builds() {
        let statements = statements().expect("statements");
        assert_eq!(statements.len(), TABLES.len());
    }
}
