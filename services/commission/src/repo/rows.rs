//! Rows to domain values and back. A row this service did not write (an unknown status,
//! unreadable JSON) is an error, never a silent default.

use sea_orm::ActiveValue::Set;
use sea_orm::DbErr;
use uuid::Uuid;

use crate::domain::derive::{Fact, FactBody};
use crate::domain::plan::{Plan, PlanData, PlanStatus, Rule};
use crate::domain::statement::{Statement, StatementStatus, Totals};
use crate::entity::{fact, plan, statement};

use super::month_of;

fn corrupt(what: &str, id: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(format!("{what} {id}: unreadable row"))
}

/// Returns the plan of a row.
pub fn plan_to_domain(m: plan::Model) -> Result<Plan, DbErr> {
    let rules: Vec<Rule> = serde_json::from_str(&m.rules).map_err(|_| corrupt("plan", m.id))?;
    Ok(Plan {
        id: m.id,
        organisation_id: m.organisation_id,
        data: PlanData {
            name: m.name,
            description: m.description,
            is_default: m.is_default,
            rules,
        },
        status: PlanStatus::parse(&m.status).ok_or_else(|| corrupt("plan", m.id))?,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    })
}

/// Returns the row of a plan (`request_id` only on creation).
pub fn plan_to_active(p: &Plan, request_id: Option<Uuid>) -> Result<plan::ActiveModel, DbErr> {
    let rules = serde_json::to_string(&p.data.rules).map_err(|e| DbErr::Custom(e.to_string()))?;
    Ok(plan::ActiveModel {
        id: Set(p.id),
        organisation_id: Set(p.organisation_id),
        name: Set(p.data.name.clone()),
        name_key: Set(name_key(&p.data.name)),
        description: Set(p.data.description.clone()),
        is_default: Set(p.data.is_default),
        status: Set(p.status.as_str().to_owned()),
        rules: Set(rules),
        request_id: Set(request_id),
        created_at: Set(p.created_at),
        updated_at: Set(p.updated_at),
        version: Set(p.version),
    })
}

/// Returns the key a plan name is unique by.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// Returns the fact of a row.
pub fn fact_to_domain(m: &fact::Model) -> Result<Fact, DbErr> {
    let body: FactBody = serde_json::from_str(&m.body).map_err(|_| corrupt("fact", m.seq))?;
    Ok(Fact {
        seq: m.seq,
        event_id: m.event_id,
        event_type: m.event_type.clone(),
        contract_id: m.contract_id,
        payment_id: m.payment_id,
        event_date: m.event_date,
        body,
    })
}

/// Returns the statement of a row.
pub fn statement_to_domain(m: statement::Model) -> Result<Statement, DbErr> {
    Ok(Statement {
        id: Some(m.id),
        commercial_id: m.commercial_id,
        period: month_of(&m.period)?,
        status: StatementStatus::parse(&m.status).ok_or_else(|| corrupt("statement", m.id))?,
        currency: m.currency,
        totals: Totals {
            opening: m.opening_balance,
            earned: m.earned,
            clawbacks: m.clawbacks,
            closing: m.closing_balance,
            payable: m.payable,
            count: m.entry_count,
        },
        closed_at: Some(m.closed_at),
        paid_at: m.paid_at,
    })
}
