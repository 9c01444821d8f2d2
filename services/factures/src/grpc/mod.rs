//! The tonic implementation of `crm.factures.v1.InvoiceService`: decode, authorise, read
//! what other services know, call the domain and the store, encode. The trait methods
//! only unwrap the context; the work is in [`drafts`], [`issue`], [`credit`],
//! [`billing`] and [`penalties`].

use crm_kit::{RequestContext, Role};
use crm_proto::factures::v1 as pb;
use crm_proto::factures::v1::invoice_service_server::InvoiceService;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::convert::{Violations, invoice_to_proto, uuid_field};
use crate::domain::Invoice;
use crate::error::Error;
use crate::events::Actor;
use crate::remote::{OrgFacts, Remote};
use crate::repo::Repo;

mod billing;
mod credit;
mod drafts;
mod issue;
mod penalties;

/// The invoices API.
#[derive(Debug, Clone)]
pub struct InvoicesApi {
    repo: Repo,
    remote: Remote,
}

impl InvoicesApi {
    /// Returns the API over `repo`, reading other services through `remote`.
    pub fn new(repo: Repo, remote: Remote) -> Self {
        Self { repo, remote }
    }

    /// Returns the caller's organisation's facts; FAILED_PRECONDITION when organisations
    /// does not know it.
    async fn organisation(&self, ctx: &RequestContext) -> Result<OrgFacts, Error> {
        self.remote.organisation(ctx).await?.ok_or_else(|| {
            Error::FailedPrecondition(
                "the organisation is unknown to the organisations service".into(),
            )
        })
    }
}

/// Returns who is acting, for the events' metadata.
fn actor(ctx: &RequestContext) -> Actor {
    Actor {
        user_id: ctx.user_id().ok(),
        traceparent: ctx.traceparent.clone(),
    }
}

/// Checks the caller may write invoices: owners, admins and accountants, and the other
/// services of the mesh.
fn check_writer(ctx: &RequestContext) -> Result<(), Error> {
    if ctx.calling_service().is_some() {
        return Ok(());
    }
    match ctx.role {
        Some(Role::Owner | Role::Admin | Role::Accountant) => Ok(()),
        _ => Err(Error::PermissionDenied(
            "only owners, admins and accountants write invoices".into(),
        )),
    }
}

/// Returns the caller's organisation, from its token.
fn tenant(ctx: &RequestContext) -> Result<crm_db::Tenant, Error> {
    ctx.tenant()
        .map_err(|s| Error::PermissionDenied(s.message().to_owned()))
}

fn invalid(v: Violations) -> Result<(), Error> {
    if v.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidArgument(v))
    }
}

/// Returns the id in `text`, or INVALID_ARGUMENT naming `field`.
fn id_of(text: &str, field: &str) -> Result<Uuid, Error> {
    let mut v = Violations::new();
    uuid_field(text, field, &mut v).ok_or(Error::InvalidArgument(v))
}

/// Returns a value parsed from a request whose violations were all answered: every
/// field that fails to parse records one, so `None` cannot reach here.
fn parsed<T>(value: Option<T>) -> Result<T, Error> {
    value.ok_or_else(|| Error::InvalidArgument(vec![("request".into(), "is incomplete".into())]))
}

fn reply(i: &Invoice) -> Option<pb::Invoice> {
    Some(invoice_to_proto(i))
}

#[tonic::async_trait]
impl InvoiceService for InvoicesApi {
    async fn create_draft_invoice(
        &self,
        request: Request<pb::CreateDraftInvoiceRequest>,
    ) -> Result<Response<pb::CreateDraftInvoiceResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let i = self.create(ctx, request.get_ref()).await?;
        Ok(Response::new(pb::CreateDraftInvoiceResponse {
            invoice: reply(&i),
        }))
    }

    async fn get_invoice(
        &self,
        request: Request<pb::GetInvoiceRequest>,
    ) -> Result<Response<pb::GetInvoiceResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let id = id_of(&request.get_ref().invoice_id, "invoice_id")?;
        let visibility = self.remote.visibility(ctx).await?;
        let i = self.repo.get(ctx.tenant()?, id, &visibility).await?;
        Ok(Response::new(pb::GetInvoiceResponse { invoice: reply(&i) }))
    }

    async fn update_draft_invoice(
        &self,
        request: Request<pb::UpdateDraftInvoiceRequest>,
    ) -> Result<Response<pb::UpdateDraftInvoiceResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let i = self.update(ctx, request.get_ref()).await?;
        Ok(Response::new(pb::UpdateDraftInvoiceResponse {
            invoice: reply(&i),
        }))
    }

    async fn list_invoices(
        &self,
        request: Request<pb::ListInvoicesRequest>,
    ) -> Result<Response<pb::ListInvoicesResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let (invoices, next_page_token) = self.list(ctx, request.get_ref()).await?;
        Ok(Response::new(pb::ListInvoicesResponse {
            invoices,
            next_page_token,
        }))
    }

    async fn delete_draft_invoice(
        &self,
        request: Request<pb::DeleteDraftInvoiceRequest>,
    ) -> Result<Response<pb::DeleteDraftInvoiceResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        check_writer(ctx)?;
        let r = request.get_ref();
        let id = id_of(&r.invoice_id, "invoice_id")?;
        self.repo.delete_draft(ctx.tenant()?, id, r.version).await?;
        tracing::info!(invoice_id = %id, "draft deleted");
        Ok(Response::new(pb::DeleteDraftInvoiceResponse {}))
    }

    async fn issue_invoice(
        &self,
        request: Request<pb::IssueInvoiceRequest>,
    ) -> Result<Response<pb::IssueInvoiceResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let i = self.issue(ctx, request.get_ref()).await?;
        tracing::info!(invoice_id = %i.id, number = %i.number(), "invoice issued");
        Ok(Response::new(pb::IssueInvoiceResponse {
            invoice: reply(&i),
        }))
    }

    async fn create_credit_note(
        &self,
        request: Request<pb::CreateCreditNoteRequest>,
    ) -> Result<Response<pb::CreateCreditNoteResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let (credit_note, invoice) = self.credit(ctx, request.get_ref()).await?;
        tracing::info!(credit_note = %credit_note.number(), invoice = %invoice.number(), "credit note issued");
        Ok(Response::new(pb::CreateCreditNoteResponse {
            credit_note: reply(&credit_note),
            invoice: reply(&invoice),
        }))
    }

    async fn record_payment(
        &self,
        request: Request<pb::RecordPaymentRequest>,
    ) -> Result<Response<pb::RecordPaymentResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let i = self.pay(ctx, request.get_ref()).await?;
        Ok(Response::new(pb::RecordPaymentResponse {
            invoice: reply(&i),
        }))
    }

    async fn write_off_invoice(
        &self,
        request: Request<pb::WriteOffInvoiceRequest>,
    ) -> Result<Response<pb::WriteOffInvoiceResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let i = self.write_off(ctx, request.get_ref()).await?;
        Ok(Response::new(pb::WriteOffInvoiceResponse {
            invoice: reply(&i),
        }))
    }

    async fn mark_overdue(
        &self,
        request: Request<pb::MarkOverdueRequest>,
    ) -> Result<Response<pb::MarkOverdueResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let marked = self.overdue(ctx, request.get_ref()).await?;
        Ok(Response::new(pb::MarkOverdueResponse {
            marked_count: i32::try_from(marked).unwrap_or(i32::MAX),
        }))
    }

    async fn run_billing(
        &self,
        request: Request<pb::RunBillingRequest>,
    ) -> Result<Response<pb::RunBillingResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let out = self.bill(ctx, request.get_ref()).await?;
        Ok(Response::new(out))
    }

    async fn get_late_penalties(
        &self,
        request: Request<pb::GetLatePenaltiesRequest>,
    ) -> Result<Response<pb::GetLatePenaltiesResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let penalties = self.penalties(ctx, request.get_ref()).await?;
        Ok(Response::new(pb::GetLatePenaltiesResponse {
            penalties: Some(penalties),
        }))
    }
}
