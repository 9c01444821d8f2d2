//! RunDue: hands the due attempts to payments, one SchedulePresentation each, then
//! records each answer in its own transaction. A payments service that does not answer
//! leaves the attempt SCHEDULED and the others go on.

use chrono::NaiveDate;
use crm_db::Tenant;
use crm_kit::RequestContext;
use crm_kit::convert::date_to_proto;
use crm_proto::retry::v1 as pb;
use uuid::Uuid;

use super::{RetryApi, actor};
use crate::domain::dates::collection_date;
use crate::domain::{Attempt, StopReason};
use crate::error::Error;
use crate::remote::Presented;
use crate::repo;
use crate::workflow;

/// Most attempts one RunDue call hands over; the rest wait for the next call.
pub const RUN_LIMIT: u64 = 200;

impl RetryApi {
    /// Hands over the tenant's attempts due on or before `as_of`, on `today`.
    pub(super) async fn run(
        &self,
        ctx: &RequestContext,
        tenant: Tenant,
        as_of: NaiveDate,
        today: NaiveDate,
    ) -> Result<pb::RunDueResponse, Error> {
        let lead = repo::load_policy(&self.db, tenant)
            .await?
            .policy
            .submission_lead_days;
        let (due, total) = repo::due_attempts(&self.db, tenant, as_of, RUN_LIMIT).await?;
        let mut report = pb::RunDueResponse {
            remaining: i32::try_from(total.saturating_sub(due.len() as u64)).unwrap_or(i32::MAX),
            ..Default::default()
        };
        for attempt in due {
            let result = self.hand_over(ctx, tenant, &attempt, lead, today).await?;
            match pb::RunDueOutcome::try_from(result.outcome) {
                Ok(pb::RunDueOutcome::Submitted) => report.submitted += 1,
                Ok(pb::RunDueOutcome::Aborted) => report.aborted += 1,
                Ok(pb::RunDueOutcome::Exhausted) => report.exhausted += 1,
                Ok(pb::RunDueOutcome::Unavailable) => report.unavailable += 1,
                Ok(pb::RunDueOutcome::Failed | pb::RunDueOutcome::Unspecified) | Err(_) => {
                    report.failed += 1;
                }
            }
            report.results.push(result);
        }
        Ok(report)
    }

    /// Hands one attempt over and records the answer.
    async fn hand_over(
        &self,
        ctx: &RequestContext,
        tenant: Tenant,
        attempt: &Attempt,
        lead: u32,
        today: NaiveDate,
    ) -> Result<pb::RunDueResult, Error> {
        let mut result = pb::RunDueResult {
            attempt_id: attempt.id.to_string(),
            ..Default::default()
        };
        let chain = repo::chain_by_id(&self.db, tenant, attempt.chain_id).await?;
        let Some(date) =
            collection_date(attempt.scheduled_date, lead, today, chain.window_end_date)
        else {
            self.stop(ctx, tenant, attempt.id, StopReason::WindowElapsed)
                .await?;
            result.outcome = pb::RunDueOutcome::Exhausted as i32;
            result.message = format!(
                "no collection date left in the window ending {}",
                chain.window_end_date
            );
            return Ok(result);
        };
        match self
            .payments
            .present(ctx, attempt.presented_payment_id, date, attempt.id)
            .await
        {
            Presented::Payment(payment) => {
                let txn = crm_db::begin_write(&self.db).await?;
                workflow::record_submission(&txn, tenant, attempt.id, payment, date).await?;
                txn.commit().await?;
                result.outcome = pb::RunDueOutcome::Submitted as i32;
                result.new_payment_id = payment.to_string();
                result.collection_date = Some(date_to_proto(date));
            }
            Presented::Refused(message) => {
                self.stop(ctx, tenant, attempt.id, StopReason::MandateInactive)
                    .await?;
                result.outcome = pb::RunDueOutcome::Aborted as i32;
                result.message = message;
            }
            Presented::Unavailable(message) => {
                result.outcome = pb::RunDueOutcome::Unavailable as i32;
                result.message = message;
            }
            Presented::Failed(message) => {
                result.outcome = pb::RunDueOutcome::Failed as i32;
                result.message = message;
            }
        }
        Ok(result)
    }

    /// Stops the chain of the still SCHEDULED attempt `id`, with its event.
    async fn stop(
        &self,
        ctx: &RequestContext,
        tenant: Tenant,
        id: Uuid,
        reason: StopReason,
    ) -> Result<(), Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        workflow::stop_attempt(&txn, tenant, id, reason, &actor(ctx)).await?;
        txn.commit().await?;
        self.relay.notify_one();
        Ok(())
    }
}
