//! Schedules: creation by hand and reads (contract.signed makes most of them).

use chrono::{Days, Months};
use crm_kit::RequestContext;
use crm_proto::payments::v1 as pb;

use super::{PaymentsApi, actor, may_manage, tenant_of};
use crate::convert::{
    Violations, id_of, invalid, next_token, optional_uuid, page, required_date, schedule_to_proto,
    sepa_amount, uuid_field,
};
use crate::domain::plan::{MAX_INSTALMENTS, Planned};
use crate::error::Error;
use crate::repo::{ScheduleDraft, ScheduleFilter, today};

/// Longest contract number (it goes into the 140-character remittance text).
const MAX_NUMBER: usize = 35;

/// Returns the instalments of a hand-made schedule: each pays for the time from its
/// due date to the day before the next one (a month for the last).
fn instalments(inputs: &[pb::InstalmentInput], v: &mut Violations) -> Vec<Planned> {
    if inputs.is_empty() || inputs.len() > MAX_INSTALMENTS {
        v.push((
            "instalments".into(),
            format!("must hold 1 to {MAX_INSTALMENTS} instalments"),
        ));
    }
    let mut out: Vec<Planned> = Vec::with_capacity(inputs.len());
    let mut previous = None;
    for (i, input) in inputs.iter().enumerate() {
        let field = format!("instalments[{i}]");
        let due = required_date(input.due_date.as_ref(), &format!("{field}.due_date"), v);
        let amount = sepa_amount(input.amount.as_ref(), &format!("{field}.amount"), v);
        if let (Some(due), Some(before)) = (due, previous)
            && due <= before
        {
            v.push((
                format!("{field}.due_date"),
                "must be after the previous instalment's due date".into(),
            ));
        }
        previous = due.or(previous);
        if let (Some(due), Some(amount)) = (due, amount) {
            out.push(Planned {
                due_date: due,
                period_start: due,
                period_end: due,
                amount_minor: amount,
                amount_final: true,
                last_of_contract: false,
            });
        }
    }
    let next_starts: Vec<_> = out.iter().skip(1).map(|p| p.due_date).collect();
    for (i, p) in out.iter_mut().enumerate() {
        let end = match next_starts.get(i) {
            Some(next) => next.checked_sub_days(Days::new(1)),
            None => p
                .due_date
                .checked_add_months(Months::new(1))
                .and_then(|d| d.checked_sub_days(Days::new(1))),
        };
        p.period_end = end.unwrap_or(p.due_date).max(p.due_date);
    }
    out
}

impl PaymentsApi {
    pub(super) async fn create_schedule(
        &self,
        ctx: &RequestContext,
        req: &pb::CreateScheduleRequest,
    ) -> Result<pb::CreateScheduleResponse, Error> {
        let tenant = tenant_of(ctx)?;
        may_manage(ctx)?;
        let mut v = Violations::new();
        let contract = uuid_field(&req.contract_id, "contract_id", &mut v);
        let number = req.contract_number.trim();
        if number.is_empty() {
            v.push(("contract_number".into(), "is required".into()));
        } else if number.chars().count() > MAX_NUMBER {
            v.push((
                "contract_number".into(),
                format!("must be at most {MAX_NUMBER} characters"),
            ));
        }
        let client = uuid_field(&req.client_id, "client_id", &mut v);
        let mandate = uuid_field(&req.mandate_id, "mandate_id", &mut v);
        let planned = instalments(&req.instalments, &mut v);
        let request_id = optional_uuid(&req.request_id, "request_id", &mut v);
        invalid(v)?;
        let (Some(contract), Some(client), Some(mandate)) = (contract, client, mandate) else {
            return Err(Error::InvalidArgument(vec![(
                "schedule".into(),
                "is incomplete".into(),
            )]));
        };
        let draft = ScheduleDraft {
            contract_id: contract,
            contract_number: number.to_owned(),
            client_id: client,
            mandate_id: mandate,
            notified_on: today(),
            instalments: planned,
        };
        let view = self
            .repo
            .create_schedule(tenant, draft, request_id, &actor(ctx))
            .await?;
        tracing::info!(schedule_id = %view.schedule.id, "schedule created");
        Ok(pb::CreateScheduleResponse {
            schedule: Some(schedule_to_proto(&view)),
        })
    }

    pub(super) async fn get_schedule(
        &self,
        ctx: &RequestContext,
        req: &pb::GetScheduleRequest,
    ) -> Result<pb::GetScheduleResponse, Error> {
        let tenant = tenant_of(ctx)?;
        let id = id_of(&req.schedule_id, "schedule_id")?;
        let view = self.repo.schedule(tenant, id).await?;
        Ok(pb::GetScheduleResponse {
            schedule: Some(schedule_to_proto(&view)),
        })
    }

    pub(super) async fn list_schedules(
        &self,
        ctx: &RequestContext,
        req: &pb::ListSchedulesRequest,
    ) -> Result<pb::ListSchedulesResponse, Error> {
        let tenant = tenant_of(ctx)?;
        let mut v = Violations::new();
        let filter = ScheduleFilter {
            contract_id: optional_uuid(&req.contract_id, "contract_id", &mut v),
            mandate_id: optional_uuid(&req.mandate_id, "mandate_id", &mut v),
            client_id: optional_uuid(&req.client_id, "client_id", &mut v),
        };
        let fingerprint = crm_db::page::fingerprint(&[
            "schedules",
            req.contract_id.trim(),
            req.mandate_id.trim(),
            req.client_id.trim(),
        ]);
        let (size, after) = page(req.page_size, &req.page_token, fingerprint, &mut v);
        invalid(v)?;
        let (views, more) = self
            .repo
            .list_schedules(tenant, &filter, after, size)
            .await?;
        Ok(pb::ListSchedulesResponse {
            next_page_token: next_token(more, views.last().map(|s| s.schedule.id), fingerprint),
            schedules: views.iter().map(schedule_to_proto).collect(),
        })
    }
}
