//! The tonic implementation of `crm.retry.v1.RetryService`: decode, authorise, call the
//! domain and the store, encode. RunDue's work is in [`run`].

use std::sync::Arc;

use crm_db::{PageToken, Tenant, page::fingerprint};
use crm_kit::{RequestContext, Role};
use crm_proto::retry::v1 as pb;
use crm_proto::retry::v1::retry_service_server::RetryService;
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::clock::Clock;
use crate::convert::{
    Violations, apply_mask, attempt_status_filter, attempt_to_proto, chain_state_filter,
    chain_to_proto, check_paths, implicit_mask, optional_uuid, policy_from_proto, policy_to_proto,
    uuid_field,
};
use crate::domain::policy::{table_facts, validate};
use crate::domain::{ChainView, StopReason, StoredPolicy};
use crate::error::Error;
use crate::events::Actor;
use crate::remote::Payments;
use crate::repo::{self, AttemptFilter, ChainFilter, now};
use crate::workflow;

mod run;

/// The retry API.
#[derive(Debug, Clone)]
pub struct RetryApi {
    db: DatabaseConnection,
    relay: Arc<Notify>,
    payments: Payments,
    clock: Clock,
}

impl RetryApi {
    /// Returns the API over `db`, waking `relay` after committed events, calling
    /// `payments`, with `clock`'s today.
    pub fn new(
        db: DatabaseConnection,
        relay: Arc<Notify>,
        payments: Payments,
        clock: Clock,
    ) -> Self {
        Self {
            db,
            relay,
            payments,
            clock,
        }
    }
}

/// Returns who is acting, for the events' metadata.
fn actor(ctx: &RequestContext) -> Actor {
    Actor {
        user_id: ctx.user_id().ok(),
        traceparent: ctx.traceparent.clone(),
    }
}

/// Lets every member but sales agents read (services of the mesh too): chains name
/// clients of every agent, and nothing ties an attempt to the agent of its client here.
fn may_read(ctx: &RequestContext) -> Result<(), Error> {
    if ctx.calling_service().is_some() {
        return Ok(());
    }
    match ctx.role {
        Some(Role::Owner | Role::Admin | Role::Manager | Role::Accountant | Role::Viewer) => Ok(()),
        Some(Role::Agent) | None => Err(Error::PermissionDenied(
            "sales agents do not see retries".into(),
        )),
    }
}

/// Lets owners, admins and accountants (who handle collections) change the policy,
/// cancel retries and run due attempts; services of the mesh too (a scheduler).
fn may_change(ctx: &RequestContext) -> Result<(), Error> {
    if ctx.calling_service().is_some() {
        return Ok(());
    }
    match ctx.role {
        Some(Role::Owner | Role::Admin | Role::Accountant) => Ok(()),
        Some(Role::Manager | Role::Agent | Role::Viewer) | None => Err(Error::PermissionDenied(
            "only owners, admins and accountants manage retries".into(),
        )),
    }
}

fn invalid(v: Violations) -> Result<(), Error> {
    if v.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidArgument(v))
    }
}

/// Returns the page size and the position after which a page starts, recording
/// malformed values in `v`.
fn page(size: i32, token: &str, filters: u64, v: &mut Violations) -> (u64, Option<Uuid>) {
    let size = crm_db::page_size(size)
        .map_err(|e| v.push(("page_size".into(), e.to_string())))
        .unwrap_or(crm_db::page::DEFAULT_PAGE_SIZE);
    let after = PageToken::decode(token, filters)
        .map_err(|e| v.push(("page_token".into(), e.to_string())))
        .ok()
        .flatten();
    (size, after.map(|t| t.after))
}

fn next_token(more: bool, last: Option<Uuid>, filters: u64) -> String {
    match (more, last) {
        (true, Some(after)) => PageToken { after, filters }.encode(),
        _ => String::new(),
    }
}

impl RetryApi {
    /// Returns the chain a payment belongs to, with its attempts.
    async fn view(&self, tenant: Tenant, payment: Uuid) -> Result<ChainView, Error> {
        let chain = repo::chain_of_payment(&self.db, tenant, payment)
            .await?
            .ok_or(Error::NotFound(payment))?;
        let mut attempts = repo::attempts_of(&self.db, tenant, &[chain.id]).await?;
        Ok(ChainView {
            attempts: attempts.remove(&chain.id).unwrap_or_default(),
            chain,
        })
    }

    async fn update(
        &self,
        ctx: &RequestContext,
        tenant: Tenant,
        req: &pb::UpdatePolicyRequest,
    ) -> Result<StoredPolicy, Error> {
        let Some(input) = &req.policy else {
            return Err(Error::InvalidArgument(vec![(
                "policy".into(),
                "is required".into(),
            )]));
        };
        let mut v = Violations::new();
        let paths = match &req.update_mask {
            Some(mask) if !mask.paths.is_empty() => mask.paths.clone(),
            _ => implicit_mask(input),
        };
        if paths.is_empty() {
            v.push(("update_mask".into(), "names no field to update".into()));
        }
        check_paths(&paths, &mut v);
        let incoming = policy_from_proto(input, "policy", &mut v);
        let txn = crm_db::begin_write(&self.db).await?;
        let current = repo::load_policy(&txn, tenant).await?;
        let next = apply_mask(&current.policy, &incoming, &paths);
        v.extend(validate(&next, table_facts, "policy"));
        invalid(v)?;
        if input.version != 0 && input.version != current.version {
            return Err(Error::VersionMismatch {
                expected: input.version,
                current: current.version,
            });
        }
        if next == current.policy {
            return Ok(current);
        }
        let stored = StoredPolicy {
            policy: next,
            version: current.version + 1,
            updated_at: Some(now()),
            updated_by: ctx.user_id().ok(),
        };
        repo::save_policy(&txn, tenant, current.version, &stored).await?;
        txn.commit().await?;
        Ok(stored)
    }

    async fn cancel(
        &self,
        ctx: &RequestContext,
        tenant: Tenant,
        payment: Uuid,
    ) -> Result<ChainView, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let chain = repo::chain_of_payment(&txn, tenant, payment)
            .await?
            .ok_or(Error::NotFound(payment))?;
        let state = chain.state;
        let Some(chain) =
            workflow::stop_chain(&txn, chain, StopReason::Cancelled, &actor(ctx)).await?
        else {
            return Err(Error::FailedPrecondition(format!(
                "the retry chain is already {}",
                state.as_str()
            )));
        };
        let mut attempts = repo::attempts_of(&txn, tenant, &[chain.id]).await?;
        txn.commit().await?;
        self.relay.notify_one();
        Ok(ChainView {
            attempts: attempts.remove(&chain.id).unwrap_or_default(),
            chain,
        })
    }
}

#[tonic::async_trait]
impl RetryService for RetryApi {
    async fn get_policy(
        &self,
        request: Request<pb::GetPolicyRequest>,
    ) -> Result<Response<pb::GetPolicyResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        may_read(ctx)?;
        let policy = repo::load_policy(&self.db, ctx.tenant()?).await?;
        Ok(Response::new(pb::GetPolicyResponse {
            policy: Some(policy_to_proto(&policy)),
        }))
    }

    async fn update_policy(
        &self,
        request: Request<pb::UpdatePolicyRequest>,
    ) -> Result<Response<pb::UpdatePolicyResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        may_change(ctx)?;
        let policy = self.update(ctx, ctx.tenant()?, request.get_ref()).await?;
        tracing::info!(version = policy.version, "retry policy updated");
        Ok(Response::new(pb::UpdatePolicyResponse {
            policy: Some(policy_to_proto(&policy)),
        }))
    }

    async fn list_attempts(
        &self,
        request: Request<pb::ListAttemptsRequest>,
    ) -> Result<Response<pb::ListAttemptsResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        may_read(ctx)?;
        let tenant = ctx.tenant()?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let payment = optional_uuid(&req.payment_id, "payment_id", &mut v);
        let client = optional_uuid(&req.client_id, "client_id", &mut v);
        let status = attempt_status_filter(req.status, "status", &mut v);
        let filters = fingerprint(&[
            "attempts",
            req.payment_id.trim(),
            req.client_id.trim(),
            &req.status.to_string(),
        ]);
        let (size, after) = page(req.page_size, &req.page_token, filters, &mut v);
        invalid(v)?;
        let mut filter = AttemptFilter {
            chain: None,
            client,
            status,
        };
        if let Some(payment) = payment {
            match repo::chain_of_payment(&self.db, tenant, payment).await? {
                Some(chain) => filter.chain = Some(chain.id),
                None => return Ok(Response::new(pb::ListAttemptsResponse::default())),
            }
        }
        let (attempts, more) = repo::list_attempts(&self.db, tenant, &filter, after, size).await?;
        let next_page_token = next_token(more, attempts.last().map(|a| a.id), filters);
        Ok(Response::new(pb::ListAttemptsResponse {
            attempts: attempts.iter().map(attempt_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn get_chain(
        &self,
        request: Request<pb::GetChainRequest>,
    ) -> Result<Response<pb::GetChainResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        may_read(ctx)?;
        let payment = crm_kit::convert::required_id(&request.get_ref().payment_id, "payment_id")?;
        let view = self.view(ctx.tenant()?, payment).await?;
        Ok(Response::new(pb::GetChainResponse {
            chain: Some(chain_to_proto(&view)),
        }))
    }

    async fn list_chains(
        &self,
        request: Request<pb::ListChainsRequest>,
    ) -> Result<Response<pb::ListChainsResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        may_read(ctx)?;
        let tenant = ctx.tenant()?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let filter = ChainFilter {
            client: optional_uuid(&req.client_id, "client_id", &mut v),
            mandate: optional_uuid(&req.mandate_id, "mandate_id", &mut v),
            invoice: optional_uuid(&req.invoice_id, "invoice_id", &mut v),
            state: chain_state_filter(req.state, "state", &mut v),
        };
        let filters = fingerprint(&[
            "chains",
            req.client_id.trim(),
            req.mandate_id.trim(),
            req.invoice_id.trim(),
            &req.state.to_string(),
        ]);
        let (size, after) = page(req.page_size, &req.page_token, filters, &mut v);
        invalid(v)?;
        let (chains, more) = repo::list_chains(&self.db, tenant, &filter, after, size).await?;
        let ids: Vec<Uuid> = chains.iter().map(|c| c.id).collect();
        let mut attempts = repo::attempts_of(&self.db, tenant, &ids).await?;
        let next_page_token = next_token(more, ids.last().copied(), filters);
        let chains = chains
            .into_iter()
            .map(|chain| {
                chain_to_proto(&ChainView {
                    attempts: attempts.remove(&chain.id).unwrap_or_default(),
                    chain,
                })
            })
            .collect();
        Ok(Response::new(pb::ListChainsResponse {
            chains,
            next_page_token,
        }))
    }

    async fn cancel_retries(
        &self,
        request: Request<pb::CancelRetriesRequest>,
    ) -> Result<Response<pb::CancelRetriesResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        may_change(ctx)?;
        let mut v = Violations::new();
        let payment = uuid_field(&request.get_ref().payment_id, "payment_id", &mut v);
        invalid(v)?;
        let Some(payment) = payment else {
            return Err(Status::internal("validated request without a payment"));
        };
        let view = self.cancel(ctx, ctx.tenant()?, payment).await?;
        tracing::info!(chain_id = %view.chain.id, "retries cancelled");
        Ok(Response::new(pb::CancelRetriesResponse {
            chain: Some(chain_to_proto(&view)),
        }))
    }

    async fn run_due(
        &self,
        request: Request<pb::RunDueRequest>,
    ) -> Result<Response<pb::RunDueResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        may_change(ctx)?;
        let tenant = ctx.tenant()?;
        let today = self.clock.today();
        let mut v = Violations::new();
        let as_of = match &request.get_ref().as_of {
            Some(d) => crm_kit::convert::date_from_proto(d, "as_of", &mut v),
            None => Some(today),
        };
        if as_of.is_some_and(|d| d > today) {
            v.push(("as_of".into(), format!("must not be after today ({today})")));
        }
        invalid(v)?;
        let Some(as_of) = as_of else {
            return Err(Status::internal("validated request without a date"));
        };
        let report = self.run(ctx, tenant, as_of, today).await?;
        tracing::info!(
            submitted = report.submitted,
            aborted = report.aborted,
            exhausted = report.exhausted,
            unavailable = report.unavailable,
            failed = report.failed,
            remaining = report.remaining,
            "due retries run"
        );
        Ok(Response::new(report))
    }
}
