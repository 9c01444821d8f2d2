//! A contract read from contrats to what a billing run bills of it for a month.

use crm_proto::contrats::v1 as contrats;
use crm_proto::events::v1 as ev;
use uuid::Uuid;

use crate::domain::billing::{self, Frequency};
use crate::domain::{Line, Period, VatCategory};

/// What a contract owes for the month.
#[derive(Debug, Clone)]
pub struct Billable {
    /// The contract.
    pub contract_id: Uuid,
    /// Its client.
    pub client_id: Uuid,
    /// The lines' currency.
    pub currency: String,
    /// The lines due, each with its service period.
    pub lines: Vec<Line>,
}

fn frequency(value: i32) -> Option<Frequency> {
    match ev::BillingFrequency::try_from(value).ok()? {
        ev::BillingFrequency::Unspecified => None,
        ev::BillingFrequency::Monthly => Some(Frequency::Monthly),
        ev::BillingFrequency::Quarterly => Some(Frequency::Quarterly),
        ev::BillingFrequency::SemiAnnual => Some(Frequency::SemiAnnual),
        ev::BillingFrequency::Annual => Some(Frequency::Annual),
    }
}

/// Returns what `c` owes for `month` (`None`: nothing), or why it cannot be billed.
pub fn billable(c: &contrats::Contract, month: Period) -> Result<Option<Billable>, String> {
    let contract_id =
        Uuid::parse_str(&c.id).map_err(|_| "the contract id is not a UUID".to_owned())?;
    let client_id =
        Uuid::parse_str(&c.client_id).map_err(|_| "the contract has no client".to_owned())?;
    let start = c
        .start_date
        .as_ref()
        .and_then(|d| {
            chrono::NaiveDate::from_ymd_opt(
                d.year,
                u32::try_from(d.month).ok()?,
                u32::try_from(d.day).ok()?,
            )
        })
        .ok_or_else(|| "the contract has no start date".to_owned())?;
    let mut currency: Option<String> = None;
    let mut lines = Vec::new();
    for l in &c.lines {
        let Some(period) = billing::period_in(start, frequency(l.billing_frequency), month) else {
            continue;
        };
        let category = VatCategory::parse(&l.vat_category).ok_or_else(|| {
            format!(
                "unknown VAT category {:?} on product {}",
                l.vat_category, l.product_code
            )
        })?;
        let price = l.unit_price.clone().unwrap_or_default();
        let code = match price.currency_code.trim() {
            "" => super::input::DEFAULT_CURRENCY.to_owned(),
            c => c.to_owned(),
        };
        match &currency {
            Some(c) if *c != code => return Err("the lines mix currencies".into()),
            _ => currency = Some(code),
        }
        let label = match (l.product_name.trim(), l.product_code.trim()) {
            ("", code) => code.to_owned(),
            (name, "") => name.to_owned(),
            (name, code) => format!("{name} ({code})"),
        };
        lines.push(Line {
            label,
            quantity: l.quantity,
            unit_price: price.amount_minor,
            vat_category: category,
            vat_rate_bps: 0,
            service_period: Some(period),
            product_id: Uuid::parse_str(&l.product_id).ok(),
        });
    }
    if lines.is_empty() || lines.iter().map(Line::net).sum::<i64>() <= 0 {
        return Ok(None);
    }
    Ok(Some(Billable {
        contract_id,
        client_id,
        currency: currency.unwrap_or_else(|| "EUR".into()),
        lines,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crm_proto::common::v1 as common;

    fn d(y: i32, m: i32, day: i32) -> Option<common::Date> {
        Some(common::Date {
            year: y,
            month: m,
            day,
        })
    }

    fn line(
        frequency: ev::BillingFrequency,
        category: &str,
        currency: &str,
    ) -> contrats::ContractLine {
        contrats::ContractLine {
            product_id: Uuid::now_v7().to_string(),
            quantity: 2,
            product_code: "HAB".into(),
            product_name: "Habitation".into(),
            unit_price: Some(common::Money {
                currency_code: currency.into(),
                amount_minor: 1_500,
            }),
            billing_frequency: frequency as i32,
            vat_category: category.into(),
        }
    }

    fn contract(lines: Vec<contrats::ContractLine>) -> contrats::Contract {
        contrats::Contract {
            id: Uuid::now_v7().to_string(),
            client_id: Uuid::now_v7().to_string(),
            start_date: d(2030, 1, 1),
            lines,
            ..Default::default()
        }
    }

    fn month(m: u32, last: u32) -> Period {
        let day = |x| chrono::NaiveDate::from_ymd_opt(2030, m, x).expect("date");
        Period {
            start: day(1),
            end: day(last),
        }
    }

    #[test]
    fn the_lines_due_in_the_month_are_billed() {
        let c = contract(vec![
            line(ev::BillingFrequency::Monthly, "exempt", "EUR"),
            line(ev::BillingFrequency::Quarterly, "standard", "EUR"),
        ]);
        let jan = billable(&c, month(1, 31)).expect("readable").expect("due");
        assert_eq!(jan.lines.len(), 2);
        assert_eq!(jan.lines[0].label, "Habitation (HAB)");
        assert_eq!(jan.lines[0].net(), 3_000);
        let feb = billable(&c, month(2, 28)).expect("readable").expect("due");
        assert_eq!(feb.lines.len(), 1);
        assert_eq!(feb.lines[0].vat_category, VatCategory::Exempt);
        let quarterly = contract(vec![line(ev::BillingFrequency::Quarterly, "standard", "")]);
        assert!(
            billable(&quarterly, month(2, 28))
                .expect("readable")
                .is_none()
        );
        assert_eq!(
            billable(&quarterly, month(1, 31))
                .expect("readable")
                .expect("due")
                .currency,
            "EUR"
        );
    }

    #[test]
    fn unreadable_contracts_say_why() {
        let unknown = contract(vec![line(ev::BillingFrequency::Monthly, "normal", "EUR")]);
        assert!(
            billable(&unknown, month(1, 31))
                .expect_err("category")
                .contains("normal")
        );
        let mixed = contract(vec![
            line(ev::BillingFrequency::Monthly, "exempt", "EUR"),
            line(ev::BillingFrequency::Monthly, "exempt", "CHF"),
        ]);
        assert!(billable(&mixed, month(1, 31)).is_err());
        let undated = contrats::Contract {
            start_date: None,
            ..contract(vec![])
        };
        assert!(billable(&undated, month(1, 31)).is_err());
    }
}
