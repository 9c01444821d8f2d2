//! Re-presentation of a rejected or returned payment (for the retry service) and the
//! debtor's refunds of settled ones.

use chrono::NaiveDate;
use crm_db::{Tenant, TenantScoped};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, SqlErr};
use uuid::Uuid;

use super::batches::set_instalments;
use super::mandates::{close_mandate, expire_if_lapsed, mandate_in};
use super::reads::payment_in;
use super::{Repo, now, rows};
use crate::domain::collect::refund_status;
use crate::domain::{
    InstalmentStatus, MandateStatus, Payment, PaymentStatus, PendingAmendment, new_sepa_id,
};
use crate::entity::payment;
use crate::error::Error;
use crate::events::{self, Actor};

/// Writes `p` over the payment at `version` in `from`, or ABORTED when it changed.
async fn save_payment<C: ConnectionTrait>(
    c: &C,
    tenant: Tenant,
    version: i64,
    from: PaymentStatus,
    p: &Payment,
) -> Result<(), Error> {
    let done = payment::Entity::update_many_in(tenant)
        .set(rows::payment_row(p))
        .filter(payment::Column::Id.eq(p.id))
        .filter(payment::Column::Version.eq(version))
        .filter(payment::Column::Status.eq(from.as_str()))
        .exec(c)
        .await?;
    if done.rows_affected != 1 {
        return Err(Error::Aborted(format!(
            "payment {} changed concurrently; read it again and retry",
            p.id
        )));
    }
    Ok(())
}

impl Repo {
    /// Returns the payment SchedulePresentation made with `request_id`, if any.
    pub async fn presentation(
        &self,
        tenant: Tenant,
        request_id: Uuid,
    ) -> Result<Option<Payment>, Error> {
        Ok(payment::Entity::find_in(tenant)
            .filter(payment::Column::RequestId.eq(request_id))
            .one(&self.db)
            .await?
            .map(rows::payment))
    }

    /// Makes the next attempt of a REJECTED or RETURNED payment, due on `date`, or
    /// returns the payment made earlier with `request_id`.
    pub async fn schedule_presentation(
        &self,
        tenant: Tenant,
        id: Uuid,
        date: NaiveDate,
        request_id: Uuid,
        actor: &Actor,
    ) -> Result<Payment, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let earlier = payment::Entity::find_in(tenant)
            .filter(payment::Column::RequestId.eq(request_id))
            .one(&txn)
            .await?;
        if let Some(earlier) = earlier {
            return Ok(rows::payment(earlier));
        }
        let p = payment_in(&txn, tenant, id).await?;
        if !matches!(p.status, PaymentStatus::Rejected | PaymentStatus::Returned) {
            return Err(Error::FailedPrecondition(format!(
                "only a rejected or returned payment is presented again; this one is {}",
                p.status.as_str()
            )));
        }
        let mut m = mandate_in(&txn, tenant, p.mandate_id).await?;
        if m.status != MandateStatus::Active {
            return Err(Error::FailedPrecondition(format!(
                "the mandate is {}; only an active mandate is collected",
                m.status.as_str().replace('_', " ")
            )));
        }
        if expire_if_lapsed(&txn, tenant, &mut m, date, actor).await? {
            txn.commit().await?;
            self.committed();
            return Err(Error::FailedPrecondition(
                "the mandate lapsed after 36 months without a collection; it is now expired".into(),
            ));
        }
        let next_exists = payment::Entity::find_in(tenant)
            .filter(payment::Column::PreviousPaymentId.eq(p.id))
            .one(&txn)
            .await?;
        if let Some(next) = next_exists {
            return Err(Error::FailedPrecondition(format!(
                "the payment was already presented again as payment {}",
                next.id
            )));
        }
        let at = now();
        let next = Payment {
            id: Uuid::now_v7(),
            previous_payment_id: Some(p.id),
            attempt_number: p.attempt_number + 1,
            collection_date: date,
            status: PaymentStatus::Scheduled,
            batch_id: None,
            end_to_end_id: new_sepa_id('E'),
            sequence_type: None,
            reason_code: None,
            rejection_kind: None,
            rejection_date: None,
            settlement_date: None,
            return_deadline: None,
            refund_date: None,
            request_id: Some(request_id),
            amendment: PendingAmendment::default(),
            created_at: at,
            updated_at: at,
            version: 1,
            ..p
        };
        payment::Entity::insert(rows::payment_row(&next))
            .exec(&txn)
            .await
            .map_err(|e| match e.sql_err() {
                Some(SqlErr::UniqueConstraintViolation(_)) => {
                    Error::Aborted("the payment was presented again concurrently; retry".into())
                }
                _ => Error::Database(e),
            })?;
        txn.commit().await?;
        self.committed();
        tracing::info!(payment_id = %next.id, previous = %id, %date, "presentation scheduled");
        Ok(next)
    }

    /// Records a debtor's refund of a SETTLED payment and publishes payment.refunded;
    /// MD01 fails the mandate.
    pub async fn refund_payment(
        &self,
        tenant: Tenant,
        id: Uuid,
        code: &str,
        date: NaiveDate,
        actor: &Actor,
    ) -> Result<Payment, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let mut p = payment_in(&txn, tenant, id).await?;
        let (PaymentStatus::Settled, Some(settled)) = (p.status, p.settlement_date) else {
            return Err(Error::FailedPrecondition(format!(
                "only a settled payment is refunded; this one is {}",
                p.status.as_str()
            )));
        };
        let mut m = mandate_in(&txn, tenant, p.mandate_id).await?;
        let status =
            refund_status(code, m.scheme, settled, date).map_err(Error::FailedPrecondition)?;
        let version = p.version;
        p.status = status;
        p.reason_code = Some(code.to_owned());
        p.refund_date = Some(date);
        p.updated_at = now();
        p.version += 1;
        save_payment(&txn, tenant, version, PaymentStatus::Settled, &p).await?;
        set_instalments(&txn, tenant, &[p.instalment_id], InstalmentStatus::Refunded).await?;
        let fails = crm_sepa::reason::lookup(code).is_some_and(|r| r.fails_mandate);
        if fails && !m.status.is_closed() {
            close_mandate(
                &txn,
                tenant,
                &mut m,
                MandateStatus::Failed,
                Some(code.to_owned()),
                actor,
            )
            .await?;
        }
        crm_events::append(&txn, events::payment_refunded(&p, actor)).await?;
        txn.commit().await?;
        self.committed();
        Ok(p)
    }
}
