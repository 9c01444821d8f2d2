//! Entries, statements and periods.

use chrono::Utc;
use crm_db::Tenant;
use crm_kit::RequestContext;
use crm_kit::team::Scope;
use crm_proto::commission::v1 as pb;
use tonic::Status;

use super::{CommissionApi, actor, invalid};
use crate::convert::{
    Violations, currency_field, entry_to_proto, kind_filter, month_field, next_token,
    optional_month, optional_uuid, page, statement_to_proto, uuid_field,
};
use crate::domain::Month;
use crate::error::Error;
use crate::repo::ledger::EntryFilter;

impl CommissionApi {
    pub(super) async fn list_entries(
        &self,
        ctx: &RequestContext,
        tenant: Tenant,
        req: &pb::ListEntriesRequest,
    ) -> Result<pb::ListEntriesResponse, Status> {
        let mut v = Violations::new();
        let filter = EntryFilter {
            commercial_id: optional_uuid(&req.commercial_id, "commercial_id", &mut v),
            period: optional_month(&req.period, "period", &mut v),
            kind: kind_filter(req.kind, "kind", &mut v),
            contract_id: optional_uuid(&req.contract_id, "contract_id", &mut v),
            currency: None,
            live_only: false,
        };
        let fingerprint = crm_db::page::fingerprint(&[
            "entries",
            req.commercial_id.trim(),
            req.period.trim(),
            &req.kind.to_string(),
            req.contract_id.trim(),
        ]);
        let (size, after) = page(req.page_size, &req.page_token, fingerprint, &mut v);
        invalid(v)?;
        let scope = self.scope(ctx).await?;
        let (entries, more) = self
            .repo
            .list_entries(tenant, &filter, &scope, after, size)
            .await?;
        Ok(pb::ListEntriesResponse {
            next_page_token: next_token(more, entries.last().map(|e| e.id), fingerprint),
            entries: entries.iter().map(entry_to_proto).collect(),
        })
    }

    pub(super) async fn get_statement(
        &self,
        ctx: &RequestContext,
        tenant: Tenant,
        req: &pb::GetStatementRequest,
    ) -> Result<pb::GetStatementResponse, Status> {
        let mut v = Violations::new();
        let commercial = uuid_field(&req.commercial_id, "commercial_id", &mut v);
        let month = month_field(&req.period, "period", &mut v);
        let currency = currency_field(&req.currency_code, "currency_code", &mut v);
        let fingerprint = crm_db::page::fingerprint(&[
            "statement",
            req.commercial_id.trim(),
            req.period.trim(),
            req.currency_code.trim(),
        ]);
        let (size, after) = page(req.page_size, &req.page_token, fingerprint, &mut v);
        invalid(v)?;
        let (Some(commercial), Some(month), Some(currency)) = (commercial, month, currency) else {
            return Err(Status::internal("validated request without its fields"));
        };
        let scope = self.scope(ctx).await?;
        if !scope.allows(Some(commercial)) {
            return Err(Error::NotFound(format!("statement of {commercial} for {month}")).into());
        }
        let statement = self
            .repo
            .statement(tenant, commercial, month, &currency)
            .await?;
        let filter = EntryFilter {
            commercial_id: Some(commercial),
            period: Some(month),
            currency: Some(currency),
            live_only: true,
            ..EntryFilter::default()
        };
        let (lines, more) = self
            .repo
            .list_entries(tenant, &filter, &Scope::All, after, size)
            .await?;
        Ok(pb::GetStatementResponse {
            statement: Some(statement_to_proto(&statement)),
            next_page_token: next_token(more, lines.last().map(|e| e.id), fingerprint),
            lines: lines.iter().map(entry_to_proto).collect(),
        })
    }

    pub(super) async fn close_period(
        &self,
        ctx: &RequestContext,
        tenant: Tenant,
        req: &pb::ClosePeriodRequest,
    ) -> Result<pb::ClosePeriodResponse, Status> {
        let month = required_month(&req.period)?;
        let current = Month::of(Utc::now().date_naive());
        let count = self
            .repo
            .close_period(tenant, month, current, &actor(ctx))
            .await?;
        tracing::info!(period = %month, statements = count, "commission period closed");
        Ok(pb::ClosePeriodResponse {
            period: month.to_string(),
            statement_count: i32::try_from(count).unwrap_or(i32::MAX),
        })
    }

    pub(super) async fn recompute(
        &self,
        tenant: Tenant,
        req: &pb::RecomputeRequest,
    ) -> Result<pb::RecomputeResponse, Status> {
        let month = required_month(&req.period)?;
        let r = self.repo.recompute(tenant, month).await?;
        tracing::info!(period = %month, created = r.settled.created, updated = r.settled.updated, cancelled = r.cancelled, "commission period recomputed");
        Ok(pb::RecomputeResponse {
            period: month.to_string(),
            fact_count: r.facts,
            created: r.settled.created,
            updated: r.settled.updated,
            unchanged: r.settled.unchanged,
            cancelled: r.cancelled,
        })
    }

    pub(super) async fn pay_statement(
        &self,
        tenant: Tenant,
        req: &pb::PayStatementRequest,
    ) -> Result<pb::Statement, Status> {
        let mut v = Violations::new();
        let commercial = uuid_field(&req.commercial_id, "commercial_id", &mut v);
        let month = month_field(&req.period, "period", &mut v);
        let currency = currency_field(&req.currency_code, "currency_code", &mut v);
        invalid(v)?;
        let (Some(commercial), Some(month), Some(currency)) = (commercial, month, currency) else {
            return Err(Status::internal("validated request without its fields"));
        };
        let statement = self
            .repo
            .pay_statement(tenant, commercial, month, &currency)
            .await?;
        Ok(statement_to_proto(&statement))
    }
}

fn required_month(text: &str) -> Result<Month, Status> {
    let mut v = Violations::new();
    let month = month_field(text, "period", &mut v);
    invalid(v)?;
    month.ok_or_else(|| Status::internal("validated month missing"))
}
