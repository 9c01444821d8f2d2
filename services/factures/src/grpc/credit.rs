//! CreateCreditNote, RecordPayment and WriteOffInvoice.

use crm_kit::RequestContext;
use crm_proto::factures::v1 as pb;

use super::{InvoicesApi, actor, check_writer, invalid, parsed, tenant};
use crate::convert::input::{self, required_date};
use crate::convert::{Violations, optional_uuid, uuid_field};
use crate::domain::state::{Action, refusal};
use crate::domain::{Invoice, Status, Visibility};
use crate::error::Error;
use crate::repo::credit::{self, Mode};
use crate::repo::payments::{self, Payment};
use crate::repo::{locked, save};

impl InvoicesApi {
    pub(super) async fn credit(
        &self,
        ctx: &RequestContext,
        req: &pb::CreateCreditNoteRequest,
    ) -> Result<(Invoice, Invoice), Error> {
        check_writer(ctx)?;
        let tenant = tenant(ctx)?;
        let mut v = Violations::new();
        let id = uuid_field(&req.invoice_id, "invoice_id", &mut v);
        let request_id = optional_uuid(&req.request_id, "request_id", &mut v);
        let reason = input::text(&req.reason, "reason", &mut v);
        let lines = match (req.full, req.lines.is_empty()) {
            (true, false) => {
                v.push((
                    "lines".into(),
                    "must be empty for a full credit note".into(),
                ));
                Vec::new()
            }
            (true, true) => Vec::new(),
            (false, _) => input::lines(&req.lines, None, "lines", &mut v),
        };
        invalid(v)?;
        let id = parsed(id)?;
        if let Some(request_id) = request_id
            && let Some(earlier) = self.repo.by_request(tenant, request_id).await?
        {
            if earlier.credit_of.as_ref().map(|o| o.invoice_id) != Some(id) {
                return Err(Error::AlreadyExists(
                    "request_id was used for another document".into(),
                ));
            }
            let invoice = self.repo.get(tenant, id, &Visibility::All).await?;
            return Ok((earlier, invoice));
        }
        let invoice = self.repo.get(tenant, id, &Visibility::All).await?;
        if let Some(why) = refusal(invoice.kind, invoice.status, Action::Credit) {
            return Err(Error::FailedPrecondition(why));
        }
        let mut v = Violations::new();
        for (i, l) in req.lines.iter().enumerate() {
            if let Some(m) = &l.unit_price
                && !m.currency_code.trim().is_empty()
                && m.currency_code.trim() != invoice.currency
            {
                v.push((
                    format!("lines[{i}].unit_price.currency_code"),
                    format!("must be {}, the invoice's currency", invoice.currency),
                ));
            }
        }
        invalid(v)?;
        let org = self.organisation(ctx).await?;
        let request = credit::Request {
            mode: if req.full {
                Mode::Full
            } else {
                Mode::Lines(lines)
            },
            reason,
            request_id,
            issue_date: org.today(),
            seller: org.seller.clone(),
            prefix: org.credit_note_prefix.clone(),
        };
        let txn = crm_db::begin_write(self.repo.db()).await?;
        let done = credit::credit_in(&txn, tenant, id, &request, &actor(ctx))
            .await?
            .ok_or_else(|| Error::FailedPrecondition("nothing is left to credit".into()))?;
        txn.commit().await?;
        self.repo.wake();
        Ok((done.credit_note, done.invoice))
    }

    pub(super) async fn pay(
        &self,
        ctx: &RequestContext,
        req: &pb::RecordPaymentRequest,
    ) -> Result<Invoice, Error> {
        let tenant = tenant(ctx)?;
        let mut v = Violations::new();
        let id = uuid_field(&req.invoice_id, "invoice_id", &mut v);
        let payment_id = uuid_field(&req.payment_id, "payment_id", &mut v);
        let amount = match &req.amount {
            None => {
                v.push(("amount".into(), "is required".into()));
                None
            }
            Some(m) => {
                if m.amount_minor <= 0 {
                    v.push(("amount.amount_minor".into(), "must be positive".into()));
                }
                if m.currency_code.trim().is_empty() {
                    v.push(("amount.currency_code".into(), "is required".into()));
                }
                Some(m.clone())
            }
        };
        let paid_date = required_date(req.paid_date.as_ref(), "paid_date", &mut v);
        invalid(v)?;
        let (id, amount) = (parsed(id)?, parsed(amount)?);
        let payment = Payment {
            payment_id: parsed(payment_id)?,
            amount: amount.amount_minor,
            currency: amount.currency_code.trim().to_owned(),
            paid_date: parsed(paid_date)?,
        };
        let txn = crm_db::begin_write(self.repo.db()).await?;
        let (invoice, applied) =
            payments::record_in(&txn, tenant, id, &payment, &actor(ctx)).await?;
        txn.commit().await?;
        if applied {
            self.repo.wake();
            tracing::info!(invoice_id = %id, payment_id = %payment.payment_id, "payment recorded");
        }
        Ok(invoice)
    }

    pub(super) async fn write_off(
        &self,
        ctx: &RequestContext,
        req: &pb::WriteOffInvoiceRequest,
    ) -> Result<Invoice, Error> {
        check_writer(ctx)?;
        let tenant = tenant(ctx)?;
        let mut v = Violations::new();
        let id = uuid_field(&req.invoice_id, "invoice_id", &mut v);
        let reason = input::text(&req.reason, "reason", &mut v);
        invalid(v)?;
        let id = parsed(id)?;
        let txn = crm_db::begin_write(self.repo.db()).await?;
        let current = locked(&txn, tenant, id, req.version, Action::WriteOff).await?;
        let mut next = current.clone();
        next.status = Status::WrittenOff;
        next.write_off_reason = Some(reason);
        let saved = save(&txn, &current, next).await?;
        txn.commit().await?;
        tracing::info!(invoice_id = %id, "invoice written off");
        Ok(saved)
    }
}
