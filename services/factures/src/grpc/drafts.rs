//! CreateDraftInvoice, UpdateDraftInvoice and ListInvoices.

use crm_kit::RequestContext;
use crm_proto::factures::v1 as pb;
use uuid::Uuid;

use super::{InvoicesApi, check_writer, invalid, parsed, tenant};
use crate::convert::input::{self, DraftInput};
use crate::convert::{
    Violations, date_from_proto, invoice_to_proto, kind_from_proto, optional_uuid,
    status_from_proto, uuid_field,
};
use crate::domain::{Invoice, Kind, Status};
use crate::error::Error;
use crate::repo::{ListFilter, now};

impl InvoicesApi {
    /// Checks the client and contract of a draft in other services; returns the
    /// client's sales agent.
    async fn check_references(
        &self,
        ctx: &RequestContext,
        client: Uuid,
        contract: Option<Uuid>,
    ) -> Result<Option<Uuid>, Error> {
        let client_read = self.remote.client(ctx, client);
        let contract_read = async {
            match contract {
                Some(c) => self.remote.contract_client(ctx, c).await.map(Some),
                None => Ok(None),
            }
        };
        let (found, contract_client) = futures::try_join!(client_read, contract_read)?;
        let mut unknown = Violations::new();
        if found.is_none() {
            unknown.push((
                "invoice.client_id".into(),
                "no such client in the organisation".into(),
            ));
        }
        if matches!(contract_client, Some(None)) {
            unknown.push((
                "invoice.contract_id".into(),
                "no such contract in the organisation".into(),
            ));
        }
        if !unknown.is_empty() {
            return Err(Error::UnknownReference(unknown));
        }
        if let Some(Some(owner)) = contract_client
            && owner != client
        {
            return Err(Error::InvalidArgument(vec![(
                "invoice.contract_id".into(),
                "is a contract of another client".into(),
            )]));
        }
        Ok(found.and_then(|c| c.commercial_id))
    }

    pub(super) async fn create(
        &self,
        ctx: &RequestContext,
        req: &pb::CreateDraftInvoiceRequest,
    ) -> Result<Invoice, Error> {
        check_writer(ctx)?;
        let tenant = tenant(ctx)?;
        let mut v = Violations::new();
        let request_id = optional_uuid(&req.request_id, "request_id", &mut v);
        let Some(incoming) = &req.invoice else {
            v.push(("invoice".into(), "is required".into()));
            return Err(Error::InvalidArgument(v));
        };
        if !incoming.id.is_empty() {
            v.push(("invoice.id".into(), "is assigned by the service".into()));
        }
        let draft = input::draft(incoming, &mut v);
        invalid(v)?;
        // A retry returns the first draft without asking the other services again.
        if let Some(request_id) = request_id
            && let Some(earlier) = self.repo.by_request(tenant, request_id).await?
        {
            return Ok(earlier);
        }
        let client = parsed(draft.client_id)?;
        let commercial = self
            .check_references(ctx, client, draft.contract_id)
            .await?;
        let at = now();
        let invoice = new_draft(tenant.id(), draft, client, commercial, at);
        let created = self.repo.create_draft(invoice, request_id).await?;
        tracing::info!(invoice_id = %created.id, "draft created");
        Ok(created)
    }

    pub(super) async fn update(
        &self,
        ctx: &RequestContext,
        req: &pb::UpdateDraftInvoiceRequest,
    ) -> Result<Invoice, Error> {
        check_writer(ctx)?;
        let tenant = tenant(ctx)?;
        let Some(incoming) = &req.invoice else {
            return Err(Error::InvalidArgument(vec![(
                "invoice".into(),
                "is required".into(),
            )]));
        };
        let mut v = Violations::new();
        let id = uuid_field(&incoming.id, "invoice.id", &mut v);
        let paths = match &req.update_mask {
            Some(mask) if !mask.paths.is_empty() => mask.paths.clone(),
            _ => input::implicit_mask(incoming),
        };
        if paths.is_empty() {
            v.push(("update_mask".into(), "names no field to update".into()));
        }
        let mut merged = pb::Invoice::default();
        input::apply_mask(&mut merged, incoming, &paths, &mut v);
        let Some(id) = id else {
            return Err(Error::InvalidArgument(v));
        };
        invalid(v)?;
        let current = self
            .repo
            .get(tenant, id, &crate::domain::Visibility::All)
            .await?;
        if incoming.version != 0 && incoming.version != current.version {
            return Err(Error::VersionMismatch {
                id,
                expected: incoming.version,
                current: current.version,
            });
        }
        // A wrong status is answered before asking other services anything.
        if let Some(why) = crate::domain::state::refusal(
            current.kind,
            current.status,
            crate::domain::state::Action::Update,
        ) {
            return Err(Error::FailedPrecondition(why));
        }
        let mut target = invoice_to_proto(&current);
        let mut v = Violations::new();
        input::apply_mask(&mut target, &merged, &paths, &mut v);
        let draft = input::draft(&target, &mut v);
        invalid(v)?;
        let client = parsed(draft.client_id)?;
        let commercial = if client != current.client_id || draft.contract_id != current.contract_id
        {
            self.check_references(ctx, client, draft.contract_id)
                .await?
        } else {
            current.client_commercial_id
        };
        let snapshot = current.version;
        self.repo
            .update_draft(tenant, id, incoming.version, move |c| {
                if c.version != snapshot {
                    return Err(Error::VersionMismatch {
                        id,
                        expected: snapshot,
                        current: c.version,
                    });
                }
                let mut next = c.clone();
                next.client_id = client;
                next.client_commercial_id = commercial;
                next.contract_id = draft.contract_id;
                next.currency = draft.currency;
                next.lines = draft.lines;
                next.service_period = draft.service_period;
                Ok(next)
            })
            .await
    }

    pub(super) async fn list(
        &self,
        ctx: &RequestContext,
        r: &pb::ListInvoicesRequest,
    ) -> Result<(Vec<pb::Invoice>, String), Error> {
        let tenant = tenant(ctx)?;
        let mut v = Violations::new();
        let size = crm_db::page_size(r.page_size)
            .map_err(|e| v.push(("page_size".into(), e.to_string())))
            .ok();
        let status = enum_filter(r.status, status_from_proto, "status", &mut v);
        let kind = enum_filter(r.kind, kind_from_proto, "kind", &mut v);
        let period_start = r
            .period_start
            .as_ref()
            .and_then(|d| date_from_proto(d, "period_start", &mut v));
        let period_end = r
            .period_end
            .as_ref()
            .and_then(|d| date_from_proto(d, "period_end", &mut v));
        if let (Some(s), Some(e)) = (period_start, period_end)
            && e < s
        {
            v.push((
                "period_end".into(),
                "must not be before period_start".into(),
            ));
        }
        let filter = ListFilter {
            status,
            kind,
            client_id: optional_uuid(&r.client_id, "client_id", &mut v),
            contract_id: optional_uuid(&r.contract_id, "contract_id", &mut v),
            period_start,
            period_end,
        };
        let fingerprint = crm_db::page::fingerprint(&[
            &r.status.to_string(),
            &r.kind.to_string(),
            r.client_id.trim(),
            r.contract_id.trim(),
            &period_start.map(|d| d.to_string()).unwrap_or_default(),
            &period_end.map(|d| d.to_string()).unwrap_or_default(),
        ]);
        let after = crm_db::PageToken::decode(&r.page_token, fingerprint)
            .map_err(|e| v.push(("page_token".into(), e.to_string())))
            .ok()
            .flatten();
        invalid(v)?;
        let size = size.unwrap_or(crm_db::page::DEFAULT_PAGE_SIZE);
        let visibility = self.remote.visibility(ctx).await?;
        let (found, more) = self
            .repo
            .list(tenant, &filter, &visibility, after.map(|t| t.after), size)
            .await?;
        let next_page_token = match (more, found.last()) {
            (true, Some(last)) => crm_db::PageToken {
                after: last.id,
                filters: fingerprint,
            }
            .encode(),
            _ => String::new(),
        };
        Ok((
            found.iter().map(invoice_to_proto).collect(),
            next_page_token,
        ))
    }
}

/// Returns an optional enum filter: 0 for none, an unknown value a violation.
fn enum_filter<T>(
    value: i32,
    parse: fn(i32) -> Option<T>,
    field: &str,
    v: &mut Violations,
) -> Option<T> {
    if value == 0 {
        return None;
    }
    let parsed = parse(value);
    if parsed.is_none() {
        v.push((field.to_owned(), "is not a known value".into()));
    }
    parsed
}

/// Returns a new draft of the organisation `organisation`.
fn new_draft(
    organisation: Uuid,
    draft: DraftInput,
    client: Uuid,
    commercial: Option<Uuid>,
    at: chrono::DateTime<chrono::Utc>,
) -> Invoice {
    Invoice {
        id: Uuid::now_v7(),
        organisation_id: organisation,
        kind: Kind::Invoice,
        status: Status::Draft,
        client_id: client,
        client_commercial_id: commercial,
        contract_id: draft.contract_id,
        currency: draft.currency,
        lines: draft.lines,
        service_period: draft.service_period,
        billing_period_start: None,
        issued: None,
        amount_paid: 0,
        amount_credited: 0,
        credited: Vec::new(),
        credit_of: None,
        overdue_at: None,
        paid_date: None,
        write_off_reason: None,
        created_at: at,
        updated_at: at,
        version: 1,
    }
}
