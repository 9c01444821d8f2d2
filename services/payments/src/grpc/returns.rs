//! After submission: settlement, R-transactions, re-presentation (for the retry
//! service) and refunds.

use std::collections::HashSet;

use crm_kit::RequestContext;
use crm_proto::payments::v1 as pb;

use super::collections::calendar_range;
use super::{PaymentsApi, actor, may_manage, tenant_of};
use crate::convert::{
    Violations, invalid, payment_status_to_proto, payment_to_proto, required_date, uuid_field,
};
use crate::error::Error;
use crate::repo::returns::{PaymentRef, ReturnInput};
use crate::repo::settle::SettleTarget;
use crate::repo::today;

/// Most payments named in one MarkSettled.
const MAX_SETTLE: usize = 1000;
/// Most rows in one ImportReturns.
const MAX_RETURNS: usize = 20_000;
/// Most field violations reported at once: a status's details travel in a trailer,
/// which must stay small; the last one says how many more there were.
const MAX_VIOLATIONS: usize = 100;

/// The only service allowed to present payments again.
const RETRY_SERVICE: &str = "retry";

fn capped(mut v: Violations) -> Violations {
    if v.len() > MAX_VIOLATIONS {
        let more = v.len() - MAX_VIOLATIONS;
        v.truncate(MAX_VIOLATIONS);
        v.push(("rows".into(), format!("and {more} more problems")));
    }
    v
}

fn return_input(i: usize, row: &pb::ReturnRow, v: &mut Violations) -> Option<ReturnInput> {
    let field = |name: &str| format!("rows[{i}].{name}");
    let e2e = row.end_to_end_id.trim();
    let payment = match (e2e.is_empty(), row.payment_id.trim().is_empty()) {
        (false, true) => {
            if e2e.len() > 35 {
                v.push((
                    field("end_to_end_id"),
                    "must be at most 35 characters".into(),
                ));
                None
            } else {
                Some(PaymentRef::EndToEnd(e2e.to_owned()))
            }
        }
        (true, false) => uuid_field(&row.payment_id, &field("payment_id"), v).map(PaymentRef::Id),
        (true, true) => {
            v.push((
                field("end_to_end_id"),
                "end_to_end_id or payment_id is required".into(),
            ));
            None
        }
        (false, false) => {
            v.push((
                field("payment_id"),
                "give end_to_end_id or payment_id, not both".into(),
            ));
            None
        }
    };
    let code = row.reason_code.trim().to_uppercase();
    if code.is_empty() {
        v.push((field("reason_code"), "is required".into()));
    } else if code.len() > 8 || !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        v.push((
            field("reason_code"),
            "must be an ISO 20022 reason code such as AM04".into(),
        ));
    }
    let date = required_date(row.date.as_ref(), &field("date"), v);
    Some(ReturnInput {
        payment: payment?,
        code,
        date: date?,
    })
}

impl PaymentsApi {
    pub(super) async fn mark_settled(
        &self,
        ctx: &RequestContext,
        req: &pb::MarkSettledRequest,
    ) -> Result<pb::MarkSettledResponse, Error> {
        let tenant = tenant_of(ctx)?;
        may_manage(ctx)?;
        let mut v = Violations::new();
        let target = match (req.payment_ids.is_empty(), req.batch_id.trim().is_empty()) {
            (true, true) => {
                v.push((
                    "payment_ids".into(),
                    "payment_ids or batch_id is required".into(),
                ));
                None
            }
            (false, false) => {
                v.push((
                    "batch_id".into(),
                    "give payment_ids or batch_id, not both".into(),
                ));
                None
            }
            (true, false) => uuid_field(&req.batch_id, "batch_id", &mut v).map(SettleTarget::Batch),
            (false, true) => {
                if req.payment_ids.len() > MAX_SETTLE {
                    v.push((
                        "payment_ids".into(),
                        format!("must name at most {MAX_SETTLE} payments"),
                    ));
                }
                let mut seen = HashSet::new();
                let mut ids = Vec::with_capacity(req.payment_ids.len());
                for (i, text) in req.payment_ids.iter().enumerate() {
                    let field = format!("payment_ids[{i}]");
                    if let Some(id) = uuid_field(text, &field, &mut v) {
                        if seen.insert(id) {
                            ids.push(id);
                        } else {
                            v.push((field, "names a payment twice".into()));
                        }
                    }
                }
                Some(SettleTarget::Payments(ids))
            }
        };
        let date = required_date(req.settlement_date.as_ref(), "settlement_date", &mut v);
        invalid(capped(v))?;
        let (Some(target), Some(date)) = (target, date) else {
            return Err(Error::InvalidArgument(vec![(
                "settlement_date".into(),
                "is required".into(),
            )]));
        };
        let payments = self
            .repo
            .mark_settled(tenant, target, date, &actor(ctx))
            .await?;
        tracing::info!(payments = payments.len(), %date, "payments settled");
        Ok(pb::MarkSettledResponse {
            payments: payments.iter().map(payment_to_proto).collect(),
        })
    }

    pub(super) async fn import_returns(
        &self,
        ctx: &RequestContext,
        req: &pb::ImportReturnsRequest,
    ) -> Result<pb::ImportReturnsResponse, Error> {
        let tenant = tenant_of(ctx)?;
        may_manage(ctx)?;
        let mut v = Violations::new();
        if req.rows.is_empty() || req.rows.len() > MAX_RETURNS {
            v.push(("rows".into(), format!("must hold 1 to {MAX_RETURNS} rows")));
        }
        let inputs: Vec<ReturnInput> = req
            .rows
            .iter()
            .enumerate()
            .filter_map(|(i, row)| return_input(i, row, &mut v))
            .collect();
        invalid(capped(v))?;
        let outcomes = self
            .repo
            .import_returns(tenant, &inputs, &actor(ctx))
            .await?;
        let mut applied = 0;
        let results: Vec<pb::ReturnResult> = outcomes
            .into_iter()
            .enumerate()
            .map(|(i, o)| {
                let payment_id = o.payment_id.map(|id| id.to_string()).unwrap_or_default();
                let index = i32::try_from(i).unwrap_or(i32::MAX);
                match o.result {
                    Ok(status) => {
                        applied += 1;
                        pb::ReturnResult {
                            index,
                            applied: true,
                            payment_id,
                            status: payment_status_to_proto(status) as i32,
                            error: String::new(),
                        }
                    }
                    Err(error) => pb::ReturnResult {
                        index,
                        applied: false,
                        payment_id,
                        status: 0,
                        error,
                    },
                }
            })
            .collect();
        let refused = results.len() - applied;
        Ok(pb::ImportReturnsResponse {
            applied: i32::try_from(applied).unwrap_or(i32::MAX),
            refused: i32::try_from(refused).unwrap_or(i32::MAX),
            results,
        })
    }

    pub(super) async fn schedule_presentation(
        &self,
        ctx: &RequestContext,
        req: &pb::SchedulePresentationRequest,
    ) -> Result<pb::SchedulePresentationResponse, Error> {
        if ctx.calling_service() != Some(RETRY_SERVICE) {
            return Err(Error::PermissionDenied(
                "SchedulePresentation is for the retry service only".into(),
            ));
        }
        let tenant = tenant_of(ctx)?;
        let mut v = Violations::new();
        let id = uuid_field(&req.payment_id, "payment_id", &mut v);
        let date = required_date(req.collection_date.as_ref(), "collection_date", &mut v);
        let date = calendar_range(date, "collection_date", &mut v);
        let request_id = uuid_field(&req.request_id, "request_id", &mut v);
        invalid(v)?;
        let (Some(id), Some(date), Some(request_id)) = (id, date, request_id) else {
            return Err(Error::InvalidArgument(vec![(
                "payment_id".into(),
                "is required".into(),
            )]));
        };
        // A repeated request answers what the first one made, whatever the date now.
        if let Some(earlier) = self.repo.presentation(tenant, request_id).await? {
            return Ok(pb::SchedulePresentationResponse {
                payment: Some(payment_to_proto(&earlier)),
            });
        }
        // The payment first: another organisation's is NOT_FOUND before any date rule.
        self.repo.payment(tenant, id).await?;
        let settings = self.repo.settings(tenant).await?;
        self.calendar
            .check_collection_date(ctx, today(), date, settings.submission_lead_days)
            .await?;
        let next = self
            .repo
            .schedule_presentation(tenant, id, date, request_id, &actor(ctx))
            .await?;
        Ok(pb::SchedulePresentationResponse {
            payment: Some(payment_to_proto(&next)),
        })
    }

    pub(super) async fn refund_payment(
        &self,
        ctx: &RequestContext,
        req: &pb::RefundPaymentRequest,
    ) -> Result<pb::RefundPaymentResponse, Error> {
        let tenant = tenant_of(ctx)?;
        may_manage(ctx)?;
        let mut v = Violations::new();
        let id = uuid_field(&req.payment_id, "payment_id", &mut v);
        let code = req.reason_code.trim().to_uppercase();
        if !matches!(code.as_str(), "MD06" | "MD01") {
            v.push(("reason_code".into(), "must be MD06 or MD01".into()));
        }
        let date = required_date(req.refund_date.as_ref(), "refund_date", &mut v);
        invalid(v)?;
        let (Some(id), Some(date)) = (id, date) else {
            return Err(Error::InvalidArgument(vec![(
                "payment_id".into(),
                "is required".into(),
            )]));
        };
        let p = self
            .repo
            .refund_payment(tenant, id, &code, date, &actor(ctx))
            .await?;
        tracing::info!(payment_id = %p.id, code, "payment refunded");
        Ok(pb::RefundPaymentResponse {
            payment: Some(payment_to_proto(&p)),
        })
    }
}
