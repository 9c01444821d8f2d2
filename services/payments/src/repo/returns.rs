//! ImportReturns: R-transactions from the bank, thousands at a time, each a reject or a
//! return or refused with its reason; failing codes fail the mandate.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use crm_db::{Tenant, TenantScoped};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ExprTrait as _, QueryFilter};
use uuid::Uuid;

use super::batches::{CHUNK, by_ids, set_instalments};
use super::mandates::{close_mandate, mandate_in};
use super::{Repo, now, rows};
use crate::domain::collect::{rejection_kind, return_deadline};
use crate::domain::{InstalmentStatus, MandateStatus, Payment, PaymentStatus, RejectionKind};
use crate::entity::payment;
use crate::error::Error;
use crate::events::{self, Actor};

use super::settle::{count_settled, counted, mandates_of};

/// How an R-transaction names its payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentRef {
    /// By EndToEndId.
    EndToEnd(String),
    /// By id.
    Id(Uuid),
}

/// One R-transaction.
#[derive(Debug, Clone)]
pub struct ReturnInput {
    /// The payment.
    pub payment: PaymentRef,
    /// Reason code, uppercase.
    pub code: String,
    /// Date of the reject or return.
    pub date: NaiveDate,
}

/// What became of one R-transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnOutcome {
    /// The payment, when found.
    pub payment_id: Option<Uuid>,
    /// Its new status, when applied; otherwise why not.
    pub result: Result<PaymentStatus, String>,
}

impl Repo {
    /// reason; the applied ones commit together with their events.
    pub async fn import_returns(
        &self,
        tenant: Tenant,
        inputs: &[ReturnInput],
        actor: &Actor,
    ) -> Result<Vec<ReturnOutcome>, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let mut e2e: Vec<&str> = Vec::new();
        let mut ids: Vec<Uuid> = Vec::new();
        for input in inputs {
            match &input.payment {
                PaymentRef::EndToEnd(text) => e2e.push(text),
                PaymentRef::Id(id) => ids.push(*id),
            }
        }
        let mut found: HashMap<Uuid, Payment> = HashMap::new();
        for chunk in e2e.chunks(CHUNK) {
            let rows_found = payment::Entity::find_in(tenant)
                .filter(payment::Column::EndToEndId.is_in(chunk.iter().copied()))
                .all(&txn)
                .await?;
            found.extend(rows_found.into_iter().map(|p| (p.id, rows::payment(p))));
        }
        for p in by_ids::<_, payment::Entity, _>(&txn, tenant, &ids, || payment::Column::Id).await?
        {
            found.insert(p.id, rows::payment(p));
        }
        let by_e2e: HashMap<String, Uuid> = found
            .values()
            .map(|p| (p.end_to_end_id.clone(), p.id))
            .collect();
        let before: HashMap<Uuid, Payment> = found.clone();
        let at = now();
        let mut outcomes = Vec::with_capacity(inputs.len());
        let mut applied: Vec<Uuid> = Vec::new();
        for input in inputs {
            let id = match &input.payment {
                PaymentRef::EndToEnd(text) => by_e2e.get(text).copied(),
                PaymentRef::Id(id) => found.contains_key(id).then_some(*id),
            };
            let Some(p) = id.and_then(|id| found.get_mut(&id)) else {
                outcomes.push(ReturnOutcome {
                    payment_id: None,
                    result: Err("unknown payment".into()),
                });
                continue;
            };
            let Some(reason) = crm_sepa::reason::lookup(&input.code) else {
                outcomes.push(ReturnOutcome {
                    payment_id: Some(p.id),
                    result: Err(format!("unknown reason code {}", input.code)),
                });
                continue;
            };
            let deadline = p
                .return_deadline
                .unwrap_or_else(|| return_deadline(p.collection_date));
            let kind = match rejection_kind(p.status, p.collection_date, deadline, input.date) {
                Ok(kind) => kind,
                Err(why) => {
                    outcomes.push(ReturnOutcome {
                        payment_id: Some(p.id),
                        result: Err(why),
                    });
                    continue;
                }
            };
            p.status = match kind {
                RejectionKind::Reject => PaymentStatus::Rejected,
                RejectionKind::Return => PaymentStatus::Returned,
            };
            p.reason_code = Some(reason.code.to_owned());
            p.rejection_kind = Some(kind);
            p.rejection_date = Some(input.date);
            p.updated_at = at;
            p.version += 1;
            applied.push(p.id);
            outcomes.push(ReturnOutcome {
                payment_id: Some(p.id),
                result: Ok(p.status),
            });
        }
        if applied.is_empty() {
            return Ok(outcomes);
        }
        let changed: Vec<Payment> = applied
            .iter()
            .filter_map(|id| found.get(id).cloned())
            .collect();
        // One statement per (status, code, date) and chunk of ids: a bank file holds few.
        let mut groups: BTreeMap<(&str, String, NaiveDate), Vec<Uuid>> = BTreeMap::new();
        for p in &changed {
            groups
                .entry((
                    p.status.as_str(),
                    p.reason_code.clone().unwrap_or_default(),
                    p.rejection_date.unwrap_or(p.collection_date),
                ))
                .or_default()
                .push(p.id);
        }
        for ((status, code, date), ids) in groups {
            let kind = if status == PaymentStatus::Rejected.as_str() {
                RejectionKind::Reject
            } else {
                RejectionKind::Return
            };
            for chunk in ids.chunks(CHUNK) {
                let done = payment::Entity::update_many_in(tenant)
                    .col_expr(payment::Column::Status, Expr::value(status))
                    .col_expr(payment::Column::ReasonCode, Expr::value(code.clone()))
                    .col_expr(payment::Column::RejectionKind, Expr::value(kind.as_str()))
                    .col_expr(payment::Column::RejectionDate, Expr::value(date))
                    .col_expr(payment::Column::UpdatedAt, Expr::value(at))
                    .col_expr(
                        payment::Column::Version,
                        Expr::col(payment::Column::Version).add(1),
                    )
                    .filter(payment::Column::Id.is_in(chunk.iter().copied()))
                    .filter(payment::Column::Status.is_in([
                        PaymentStatus::Submitted.as_str(),
                        PaymentStatus::Settled.as_str(),
                    ]))
                    .exec(&txn)
                    .await?;
                if done.rows_affected != chunk.len() as u64 {
                    return Err(Error::Aborted(
                        "payments changed concurrently; retry".into(),
                    ));
                }
            }
        }
        let instalments: Vec<Uuid> = changed.iter().map(|p| p.instalment_id).collect();
        set_instalments(&txn, tenant, &instalments, InstalmentStatus::Rejected).await?;
        let mut mandates = mandates_of(&txn, tenant, &changed).await?;
        // A returned payment that had settled no longer counts as settled.
        let unsettled: Vec<Payment> = changed
            .iter()
            .filter(|p| {
                before
                    .get(&p.id)
                    .is_some_and(|b| b.status == PaymentStatus::Settled)
            })
            .cloned()
            .collect();
        count_settled(&txn, tenant, &counted(&unsettled, &mandates), -1).await?;
        let mut failed: HashSet<Uuid> = HashSet::new();
        for p in &changed {
            let code = p.reason_code.as_deref().unwrap_or_default();
            let fails = crm_sepa::reason::lookup(code).is_some_and(|r| r.fails_mandate);
            if !fails || failed.contains(&p.mandate_id) {
                continue;
            }
            // Re-read: the counters above may have moved its version.
            let mut m = mandate_in(&txn, tenant, p.mandate_id).await?;
            if !m.status.is_closed() {
                close_mandate(
                    &txn,
                    tenant,
                    &mut m,
                    MandateStatus::Failed,
                    Some(code.to_owned()),
                    actor,
                )
                .await?;
                mandates.insert(m.id, m);
            }
            failed.insert(p.mandate_id);
        }
        let rejected = changed
            .iter()
            .map(|p| {
                // The account collected: the mandate's IBAN (an amendment's new one
                // included), whose first two letters are its country.
                let country = mandates
                    .get(&p.mandate_id)
                    .and_then(|m| m.iban_masked.get(..2))
                    .unwrap_or_default();
                events::payment_rejected(p, country, actor)
            })
            .collect();
        crm_events::append_many(&txn, rejected).await?;
        txn.commit().await?;
        self.committed();
        tracing::info!(
            rows = inputs.len(),
            applied = changed.len(),
            "returns imported"
        );
        Ok(outcomes)
    }
}
