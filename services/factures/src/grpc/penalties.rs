//! GetLatePenalties (domain-rules §5.6): for a professional client, the days late from
//! the day after the due date to the day asked (or to the day the invoice was paid in
//! full), cut at half-years, each at the ECB reference rate of its half-year plus 10
//! points read from referentiel, on the amount including VAT net of credit notes, plus
//! the 40 EUR indemnity. A consumer owes neither: zero, with the reason.

use crm_kit::RequestContext;
use crm_proto::factures::v1 as pb;
use futures::future::try_join_all;

use super::{InvoicesApi, invalid, parsed, tenant};
use crate::convert::input::required_date;
use crate::convert::{Violations, date_to_proto, money, uuid_field};
use crate::domain::issue::RECOVERY_INDEMNITY_CENTS;
use crate::domain::penalty::{
    self, CANCELLED_REASON, CONSUMER_REASON, LATE_REASON, NOT_LATE_REASON,
};
use crate::domain::state::{Action, refusal};
use crate::domain::{ClientKind, Status};
use crate::error::Error;

impl InvoicesApi {
    pub(super) async fn penalties(
        &self,
        ctx: &RequestContext,
        req: &pb::GetLatePenaltiesRequest,
    ) -> Result<pb::LatePenalties, Error> {
        let tenant = tenant(ctx)?;
        let mut v = Violations::new();
        let id = uuid_field(&req.invoice_id, "invoice_id", &mut v);
        let as_of = required_date(req.as_of.as_ref(), "as_of", &mut v);
        invalid(v)?;
        let (id, as_of) = (parsed(id)?, parsed(as_of)?);
        let visibility = self.remote.visibility(ctx).await?;
        let invoice = self.repo.get(tenant, id, &visibility).await?;
        if let Some(why) = refusal(invoice.kind, invoice.status, Action::Penalties) {
            return Err(Error::FailedPrecondition(why));
        }
        let Some(issued) = invoice.issued.as_ref() else {
            return Err(Error::FailedPrecondition(
                "a draft is not due: issue it first".into(),
            ));
        };
        let c = invoice.currency.as_str();
        let base = (issued.totals.incl_vat - invoice.amount_credited).max(0);
        let late = penalty::late_days(issued.due_date, as_of, invoice.paid_date);
        let days_late = late.map_or(0, |p| p.days());
        let none = |reason: &str| pb::LatePenalties {
            applies: false,
            reason: reason.to_owned(),
            days_late: i32::try_from(days_late).unwrap_or(i32::MAX),
            periods: Vec::new(),
            base: Some(money(c, base)),
            penalty: Some(money(c, 0)),
            recovery_indemnity: Some(money("EUR", 0)),
        };
        if issued.buyer.kind == ClientKind::Person {
            return Ok(none(CONSUMER_REASON));
        }
        if invoice.status == Status::CancelledByCreditNote || base == 0 {
            return Ok(none(CANCELLED_REASON));
        }
        let Some(late) = late else {
            return Ok(none(NOT_LATE_REASON));
        };
        let halves = penalty::half_years(late);
        let rates = try_join_all(
            halves
                .iter()
                .map(|h| self.remote.late_penalty_rate(ctx, h.start)),
        )
        .await?;
        let mut periods = Vec::with_capacity(halves.len());
        let mut parts = Vec::with_capacity(halves.len());
        for (h, rate) in halves.iter().zip(rates) {
            let rate = rate.ok_or_else(|| {
                Error::FailedPrecondition(format!("no ECB rate is known for {}", h.start))
            })?;
            parts.push((h.days(), rate));
            periods.push(pb::PenaltyPeriod {
                start: Some(date_to_proto(h.start)),
                end: Some(date_to_proto(h.end)),
                days: i32::try_from(h.days()).unwrap_or(i32::MAX),
                rate_basis_points: rate,
            });
        }
        let amount = penalty::penalty(base, &parts)
            .ok_or_else(|| Error::FailedPrecondition("the penalty is out of range".into()))?;
        Ok(pb::LatePenalties {
            applies: true,
            reason: LATE_REASON.to_owned(),
            days_late: i32::try_from(days_late).unwrap_or(i32::MAX),
            periods,
            base: Some(money(c, base)),
            penalty: Some(money(c, amount)),
            recovery_indemnity: Some(money("EUR", RECOVERY_INDEMNITY_CENTS)),
        })
    }
}
