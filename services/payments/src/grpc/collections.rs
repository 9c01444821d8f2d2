//! Batches (prepare, export, read) and payment reads.

use chrono::{Datelike as _, NaiveDate};
use crm_kit::RequestContext;
use crm_proto::payments::v1 as pb;

use super::{PaymentsApi, actor, may_manage, tenant_of};
use crate::convert::{
    Violations, batch_status_from_proto, batch_to_proto, id_of, invalid, next_token, optional_uuid,
    page, payment_status_from_proto, payment_to_proto, required_date, uuid_field,
    version_from_proto,
};
use crate::error::Error;
use crate::repo::{PaymentFilter, today};

/// Records a date the calendar cannot count with (it knows 1583 to 4099).
pub fn calendar_range(
    date: Option<NaiveDate>,
    field: &str,
    v: &mut Violations,
) -> Option<NaiveDate> {
    let date = date?;
    if (1583..=4099).contains(&date.year()) {
        Some(date)
    } else {
        v.push((
            field.to_owned(),
            "must be between the years 1583 and 4099".into(),
        ));
        None
    }
}

impl PaymentsApi {
    pub(super) async fn prepare_batch(
        &self,
        ctx: &RequestContext,
        req: &pb::PrepareBatchRequest,
    ) -> Result<pb::PrepareBatchResponse, Error> {
        let tenant = tenant_of(ctx)?;
        may_manage(ctx)?;
        let mut v = Violations::new();
        let account = uuid_field(&req.creditor_account_id, "creditor_account_id", &mut v);
        let date = required_date(req.collection_date.as_ref(), "collection_date", &mut v);
        let date = calendar_range(date, "collection_date", &mut v);
        invalid(v)?;
        let (Some(account), Some(date)) = (account, date) else {
            return Err(Error::InvalidArgument(vec![(
                "batch".into(),
                "is incomplete".into(),
            )]));
        };
        // The account first: another organisation's is NOT_FOUND before any date rule.
        self.repo.account(tenant, account).await?;
        let settings = self.repo.settings(tenant).await?;
        self.calendar
            .check_collection_date(ctx, today(), date, settings.submission_lead_days)
            .await?;
        let prepared = self
            .repo
            .prepare_batch(tenant, account, date, settings, &actor(ctx))
            .await?;
        Ok(pb::PrepareBatchResponse {
            batch: Some(batch_to_proto(&prepared.batch)),
            payments: prepared.payments.iter().map(payment_to_proto).collect(),
        })
    }

    pub(super) async fn export_batch(
        &self,
        ctx: &RequestContext,
        req: &pb::ExportBatchRequest,
    ) -> Result<pb::ExportBatchResponse, Error> {
        let tenant = tenant_of(ctx)?;
        may_manage(ctx)?;
        let mut v = Violations::new();
        let id = uuid_field(&req.batch_id, "batch_id", &mut v);
        let version = version_from_proto(req.version, "version", &mut v);
        invalid(v)?;
        let (Some(id), Some(version)) = (id, version) else {
            return Err(Error::InvalidArgument(vec![(
                "batch_id".into(),
                "is required".into(),
            )]));
        };
        let exported = self
            .repo
            .export_batch(tenant, id, version, &actor(ctx))
            .await?;
        Ok(pb::ExportBatchResponse {
            batch: Some(batch_to_proto(&exported.batch)),
            xml: exported.xml.into_bytes(),
            sha256: exported.sha256,
        })
    }

    pub(super) async fn get_batch(
        &self,
        ctx: &RequestContext,
        req: &pb::GetBatchRequest,
    ) -> Result<pb::GetBatchResponse, Error> {
        let tenant = tenant_of(ctx)?;
        let id = id_of(&req.batch_id, "batch_id")?;
        let b = self.repo.batch(tenant, id).await?;
        Ok(pb::GetBatchResponse {
            batch: Some(batch_to_proto(&b)),
        })
    }

    pub(super) async fn list_batches(
        &self,
        ctx: &RequestContext,
        req: &pb::ListBatchesRequest,
    ) -> Result<pb::ListBatchesResponse, Error> {
        let tenant = tenant_of(ctx)?;
        let mut v = Violations::new();
        let account = optional_uuid(&req.creditor_account_id, "creditor_account_id", &mut v);
        let status = batch_status_from_proto(req.status, "status", &mut v);
        let fingerprint = crm_db::page::fingerprint(&[
            "batches",
            req.creditor_account_id.trim(),
            &req.status.to_string(),
        ]);
        let (size, after) = page(req.page_size, &req.page_token, fingerprint, &mut v);
        invalid(v)?;
        let (batches, more) = self
            .repo
            .list_batches(tenant, account, status, after, size)
            .await?;
        Ok(pb::ListBatchesResponse {
            next_page_token: next_token(more, batches.last().map(|b| b.id), fingerprint),
            batches: batches.iter().map(batch_to_proto).collect(),
        })
    }

    pub(super) async fn get_payment(
        &self,
        ctx: &RequestContext,
        req: &pb::GetPaymentRequest,
    ) -> Result<pb::GetPaymentResponse, Error> {
        let tenant = tenant_of(ctx)?;
        let id = id_of(&req.payment_id, "payment_id")?;
        let p = self.repo.payment(tenant, id).await?;
        Ok(pb::GetPaymentResponse {
            payment: Some(payment_to_proto(&p)),
        })
    }

    pub(super) async fn list_payments(
        &self,
        ctx: &RequestContext,
        req: &pb::ListPaymentsRequest,
    ) -> Result<pb::ListPaymentsResponse, Error> {
        let tenant = tenant_of(ctx)?;
        let mut v = Violations::new();
        let filter = PaymentFilter {
            status: payment_status_from_proto(req.status, "status", &mut v),
            mandate_id: optional_uuid(&req.mandate_id, "mandate_id", &mut v),
            contract_id: optional_uuid(&req.contract_id, "contract_id", &mut v),
            batch_id: optional_uuid(&req.batch_id, "batch_id", &mut v),
        };
        let fingerprint = crm_db::page::fingerprint(&[
            "payments",
            &req.status.to_string(),
            req.mandate_id.trim(),
            req.contract_id.trim(),
            req.batch_id.trim(),
        ]);
        let (size, after) = page(req.page_size, &req.page_token, fingerprint, &mut v);
        invalid(v)?;
        let (payments, more) = self
            .repo
            .list_payments(tenant, &filter, after, size)
            .await?;
        Ok(pb::ListPaymentsResponse {
            next_page_token: next_token(more, payments.last().map(|p| p.id), fingerprint),
            payments: payments.iter().map(payment_to_proto).collect(),
        })
    }
}
