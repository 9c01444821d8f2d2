//! Schedules and their instalments: creation (by hand or from contract.signed), the
//! invoice attached by invoice.issued, and the cancellation contract.terminated makes.
//! The functions taking a connection run inside the caller's transaction, so an event
//! consumer's writes commit with its processed-event record.

use std::collections::HashMap;

use chrono::NaiveDate;
use crm_db::{Tenant, TenantScoped};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use uuid::Uuid;

use super::mandates::{expire_if_lapsed, mandate_in};
use super::{Repo, now, page_of, rows};
use crate::domain::plan::Planned;
use crate::domain::{Instalment, InstalmentStatus, MandateStatus, Schedule, ScheduleView};
use crate::entity::{instalment, schedule};
use crate::error::Error;
use crate::events::{self, Actor};

/// A schedule to create.
#[derive(Debug, Clone)]
pub struct ScheduleDraft {
    /// Contract.
    pub contract_id: Uuid,
    /// Contract number.
    pub contract_number: String,
    /// Client.
    pub client_id: Uuid,
    /// Mandate.
    pub mandate_id: Uuid,
    /// Day of the pre-notification (creation).
    pub notified_on: NaiveDate,
    /// The instalments, by due date.
    pub instalments: Vec<Planned>,
}

/// Filters of ListSchedules.
#[derive(Debug, Clone, Default)]
pub struct ScheduleFilter {
    /// Contract.
    pub contract_id: Option<Uuid>,
    /// Mandate.
    pub mandate_id: Option<Uuid>,
    /// Client.
    pub client_id: Option<Uuid>,
}

/// Returns the instalments of `schedules`, by schedule, each in due-date order.
async fn instalments_of<C: ConnectionTrait>(
    c: &C,
    tenant: Tenant,
    schedules: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Instalment>>, Error> {
    let mut out: HashMap<Uuid, Vec<Instalment>> = HashMap::new();
    if schedules.is_empty() {
        return Ok(out);
    }
    let found = instalment::Entity::find_in(tenant)
        .filter(instalment::Column::ScheduleId.is_in(schedules.iter().copied()))
        .order_by_asc(instalment::Column::ScheduleId)
        .order_by_asc(instalment::Column::Sequence)
        .all(c)
        .await?;
    for row in found {
        out.entry(row.schedule_id)
            .or_default()
            .push(rows::instalment(row));
    }
    Ok(out)
}

/// Returns the schedule of `contract`, if it has one.
pub async fn schedule_of_contract<C: ConnectionTrait>(
    c: &C,
    tenant: Tenant,
    contract: Uuid,
) -> Result<Option<Schedule>, Error> {
    Ok(schedule::Entity::find_in(tenant)
        .filter(schedule::Column::ContractId.eq(contract))
        .one(c)
        .await?
        .map(rows::schedule))
}

/// Why a schedule was not created.
#[derive(Debug)]
pub enum NotCreated {
    /// The mandate lapsed (now EXPIRED, written through the connection).
    Lapsed,
    /// Any other reason.
    Refused(Error),
}

impl From<Error> for NotCreated {
    fn from(e: Error) -> Self {
        Self::Refused(e)
    }
}

impl From<sea_orm::DbErr> for NotCreated {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Refused(e.into())
    }
}

/// Creates a schedule through `c` with its schedule.created event. The mandate must
/// be ACTIVE or SUSPENDED and not lapsed; the contract must have no schedule.
pub async fn create_schedule_in<C: ConnectionTrait>(
    c: &C,
    tenant: Tenant,
    draft: ScheduleDraft,
    request_id: Option<Uuid>,
    actor: &Actor,
) -> Result<ScheduleView, NotCreated> {
    let mut m = mandate_in(c, tenant, draft.mandate_id).await?;
    if !matches!(m.status, MandateStatus::Active | MandateStatus::Suspended) {
        return Err(Error::FailedPrecondition(format!(
            "the mandate is {}; a schedule needs an active one",
            m.status.as_str().replace('_', " ")
        ))
        .into());
    }
    if m.client_id != draft.client_id {
        return Err(Error::FailedPrecondition(format!(
            "the mandate is client {}'s, not client {}'s",
            m.client_id, draft.client_id
        ))
        .into());
    }
    if expire_if_lapsed(c, tenant, &mut m, draft.notified_on, actor).await? {
        return Err(NotCreated::Lapsed);
    }
    if schedule_of_contract(c, tenant, draft.contract_id)
        .await?
        .is_some()
    {
        return Err(Error::AlreadyExists(format!(
            "contract {} already has a schedule",
            draft.contract_id
        ))
        .into());
    }
    let at = now();
    let s = Schedule {
        id: Uuid::now_v7(),
        organisation_id: tenant.id(),
        contract_id: draft.contract_id,
        contract_number: draft.contract_number,
        client_id: draft.client_id,
        mandate_id: m.id,
        notified_on: draft.notified_on,
        created_at: at,
    };
    schedule::Entity::insert(schedule::ActiveModel {
        id: Set(s.id),
        organisation_id: Set(s.organisation_id),
        contract_id: Set(s.contract_id),
        contract_number: Set(s.contract_number.clone()),
        client_id: Set(s.client_id),
        mandate_id: Set(s.mandate_id),
        notified_on: Set(s.notified_on),
        request_id: Set(request_id),
        created_at: Set(at),
    })
    .exec(c)
    .await
    .map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => NotCreated::Refused(Error::AlreadyExists(
            format!("contract {} already has a schedule", s.contract_id),
        )),
        _ => NotCreated::Refused(e.into()),
    })?;
    let instalments: Vec<Instalment> = draft
        .instalments
        .iter()
        .enumerate()
        .map(|(i, p)| Instalment {
            id: Uuid::now_v7(),
            schedule_id: s.id,
            sequence: i32::try_from(i + 1).unwrap_or(i32::MAX),
            due_date: p.due_date,
            period_start: p.period_start,
            period_end: p.period_end,
            amount_minor: p.amount_minor,
            currency: "EUR".into(),
            amount_final: p.amount_final,
            last_of_contract: p.last_of_contract,
            invoice_id: None,
            invoice_number: None,
            status: InstalmentStatus::Planned,
        })
        .collect();
    if !instalments.is_empty() {
        instalment::Entity::insert_many(instalments.iter().map(|i| instalment::ActiveModel {
            id: Set(i.id),
            organisation_id: Set(tenant.id()),
            schedule_id: Set(s.id),
            contract_id: Set(s.contract_id),
            sequence: Set(i.sequence),
            due_date: Set(i.due_date),
            period_start: Set(i.period_start),
            period_end: Set(i.period_end),
            amount_minor: Set(i.amount_minor),
            currency: Set(i.currency.clone()),
            amount_final: Set(i.amount_final),
            last_of_contract: Set(i.last_of_contract),
            invoice_id: Set(None),
            invoice_number: Set(None),
            status: Set(i.status.as_str().to_owned()),
            updated_at: Set(at),
        }))
        .exec(c)
        .await?;
    }
    let view = ScheduleView {
        schedule: s,
        instalments,
    };
    crm_events::append(c, events::schedule_created(&view, actor)).await?;
    Ok(view)
}

/// The invoice invoice.issued names.
#[derive(Debug, Clone)]
pub struct InvoiceFacts {
    /// Invoice.
    pub invoice_id: Uuid,
    /// Its number.
    pub number: String,
    /// Contract billed.
    pub contract_id: Uuid,
    /// First day of the service period, when given.
    pub period_start: Option<NaiveDate>,
    /// Due date, when given.
    pub due_date: Option<NaiveDate>,
    /// Total including VAT, minor units.
    pub total_minor: i64,
    /// Its currency.
    pub currency: String,
}

/// Attaches an invoice to the instalment of its contract whose period holds the
/// invoice's service period start (or, failing that, whose due date is the invoice's),
/// taking the invoice's total as the amount while the instalment is PLANNED. Returns
/// the instalment, `None` when none matches. Attaching the same invoice again changes
/// nothing.
pub async fn attach_invoice<C: ConnectionTrait>(
    c: &C,
    tenant: Tenant,
    invoice: &InvoiceFacts,
) -> Result<Option<Instalment>, Error> {
    use instalment::Column as I;
    let candidates: Vec<Instalment> = instalment::Entity::find_in(tenant)
        .filter(I::ContractId.eq(invoice.contract_id))
        .order_by_asc(I::DueDate)
        .all(c)
        .await?
        .into_iter()
        .map(rows::instalment)
        .collect();
    if let Some(done) = candidates
        .iter()
        .find(|i| i.invoice_id == Some(invoice.invoice_id))
    {
        return Ok(Some(done.clone()));
    }
    let free = |i: &&Instalment| i.invoice_id.is_none() && i.status != InstalmentStatus::Cancelled;
    let by_period = invoice.period_start.and_then(|d| {
        candidates
            .iter()
            .filter(free)
            .find(|i| i.period_start <= d && d <= i.period_end)
    });
    let by_due = || {
        invoice
            .due_date
            .and_then(|d| candidates.iter().filter(free).find(|i| i.due_date == d))
    };
    let Some(found) = by_period.or_else(by_due) else {
        return Ok(None);
    };
    let mut next = found.clone();
    next.invoice_id = Some(invoice.invoice_id);
    next.invoice_number = Some(invoice.number.clone());
    let mut update = instalment::Entity::update_many_in(tenant)
        .col_expr(I::InvoiceId, Expr::value(invoice.invoice_id))
        .col_expr(I::InvoiceNumber, Expr::value(invoice.number.clone()))
        .col_expr(I::UpdatedAt, Expr::value(now()));
    // The amount of an instalment already with the bank is the one collected.
    if found.status == InstalmentStatus::Planned && invoice.currency == found.currency {
        next.amount_minor = invoice.total_minor;
        next.amount_final = true;
        update = update
            .col_expr(I::AmountMinor, Expr::value(invoice.total_minor))
            .col_expr(I::AmountFinal, Expr::value(true));
    }
    update.filter(I::Id.eq(found.id)).exec(c).await?;
    Ok(Some(next))
}

/// Cancels the PLANNED instalments of `contract` due after `last_day`; returns how
/// many.
pub async fn cancel_after<C: ConnectionTrait>(
    c: &C,
    tenant: Tenant,
    contract: Uuid,
    last_day: NaiveDate,
) -> Result<u64, Error> {
    use instalment::Column as I;
    let done = instalment::Entity::update_many_in(tenant)
        .col_expr(I::Status, Expr::value(InstalmentStatus::Cancelled.as_str()))
        .col_expr(I::UpdatedAt, Expr::value(now()))
        .filter(I::ContractId.eq(contract))
        .filter(I::Status.eq(InstalmentStatus::Planned.as_str()))
        .filter(I::DueDate.gt(last_day))
        .exec(c)
        .await?;
    Ok(done.rows_affected)
}

impl Repo {
    /// Creates a schedule by hand, or returns the one created earlier with
    /// `request_id`. A lapsed mandate is marked EXPIRED and the schedule refused.
    pub async fn create_schedule(
        &self,
        tenant: Tenant,
        draft: ScheduleDraft,
        request_id: Option<Uuid>,
        actor: &Actor,
    ) -> Result<ScheduleView, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        if let Some(request_id) = request_id {
            let earlier = schedule::Entity::find_in(tenant)
                .filter(schedule::Column::RequestId.eq(request_id))
                .one(&txn)
                .await?;
            if let Some(earlier) = earlier {
                return self.view(&txn, tenant, rows::schedule(earlier)).await;
            }
        }
        match create_schedule_in(&txn, tenant, draft, request_id, actor).await {
            Ok(view) => {
                txn.commit().await?;
                self.committed();
                Ok(view)
            }
            Err(NotCreated::Lapsed) => {
                txn.commit().await?;
                self.committed();
                Err(Error::FailedPrecondition(
                    "the mandate lapsed after 36 months without a collection; it is now expired"
                        .into(),
                ))
            }
            Err(NotCreated::Refused(e)) => Err(e),
        }
    }

    async fn view<C: ConnectionTrait>(
        &self,
        c: &C,
        tenant: Tenant,
        s: Schedule,
    ) -> Result<ScheduleView, Error> {
        let mut by = instalments_of(c, tenant, &[s.id]).await?;
        Ok(ScheduleView {
            instalments: by.remove(&s.id).unwrap_or_default(),
            schedule: s,
        })
    }

    /// Returns a schedule of the tenant with its instalments.
    pub async fn schedule(&self, tenant: Tenant, id: Uuid) -> Result<ScheduleView, Error> {
        let s = schedule::Entity::find_by_id_in(tenant, id)
            .one(&self.db)
            .await?
            .map(rows::schedule)
            .ok_or_else(|| Error::not_found("schedule", id))?;
        self.view(&self.db, tenant, s).await
    }

    /// Returns up to `limit` schedules after `after`, newest first, with their
    /// instalments.
    pub async fn list_schedules(
        &self,
        tenant: Tenant,
        filter: &ScheduleFilter,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<(Vec<ScheduleView>, bool), Error> {
        use schedule::Column as S;
        let mut query = schedule::Entity::find_in(tenant);
        if let Some(contract) = filter.contract_id {
            query = query.filter(S::ContractId.eq(contract));
        }
        if let Some(mandate) = filter.mandate_id {
            query = query.filter(S::MandateId.eq(mandate));
        }
        if let Some(client) = filter.client_id {
            query = query.filter(S::ClientId.eq(client));
        }
        if let Some(after) = after {
            query = query.filter(S::Id.lt(after));
        }
        let found = query
            .order_by_desc(S::Id)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let (found, more) = page_of(found, limit);
        let ids: Vec<Uuid> = found.iter().map(|s| s.id).collect();
        let mut by = instalments_of(&self.db, tenant, &ids).await?;
        let views = found
            .into_iter()
            .map(|row| {
                let s = rows::schedule(row);
                ScheduleView {
                    instalments: by.remove(&s.id).unwrap_or_default(),
                    schedule: s,
                }
            })
            .collect();
        Ok((views, more))
    }
}
