//! The tonic implementation of `crm.commission.v1.CommissionService`: decode,
//! authorise, call the store, encode. The trait methods only unwrap the context; the
//! work is in [`plans`] and [`ledger`].

use crm_kit::team::Scope;
use crm_kit::{RequestContext, Role};
use crm_proto::commission::v1 as pb;
use crm_proto::commission::v1::commission_service_server::CommissionService;
use tonic::{Request, Response, Status};

use crate::convert::Violations;
use crate::error::Error;
use crate::events::Actor;
use crate::remote::Remote;
use crate::repo::Repo;

mod ledger;
mod plans;

/// The commission API.
#[derive(Debug, Clone)]
pub struct CommissionApi {
    repo: Repo,
    remote: Remote,
}

impl CommissionApi {
    /// Returns the API over `repo`, resolving managers' teams through `remote`.
    pub fn new(repo: Repo, remote: Remote) -> Self {
        Self { repo, remote }
    }

    /// Returns whose commissions the caller may see: agents their own, managers their
    /// team's, accountants, admins and owners everyone's. Viewers see none: commissions
    /// are pay.
    async fn scope(&self, ctx: &RequestContext) -> Result<Scope, Error> {
        if ctx.role == Some(Role::Viewer) {
            return Err(Error::PermissionDenied(
                "viewers may not read commissions".into(),
            ));
        }
        Ok(self.remote.teams().scope(ctx).await?)
    }
}

/// Returns who is acting, for the events' metadata.
fn actor(ctx: &RequestContext) -> Actor {
    Actor {
        user_id: ctx.user_id().ok(),
        traceparent: ctx.traceparent.clone(),
    }
}

fn invalid(v: Violations) -> Result<(), Error> {
    if v.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidArgument(v))
    }
}

#[tonic::async_trait]
impl CommissionService for CommissionApi {
    async fn create_plan(
        &self,
        request: Request<pb::CreatePlanRequest>,
    ) -> Result<Response<pb::CreatePlanResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let plan = self.create_plan(ctx.tenant()?, request.get_ref()).await?;
        Ok(Response::new(pb::CreatePlanResponse { plan: Some(plan) }))
    }

    async fn get_plan(
        &self,
        request: Request<pb::GetPlanRequest>,
    ) -> Result<Response<pb::GetPlanResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let plan = self
            .get_plan(ctx.tenant()?, &request.get_ref().plan_id)
            .await?;
        Ok(Response::new(pb::GetPlanResponse { plan: Some(plan) }))
    }

    async fn update_plan(
        &self,
        request: Request<pb::UpdatePlanRequest>,
    ) -> Result<Response<pb::UpdatePlanResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let plan = self.update_plan(ctx.tenant()?, request.get_ref()).await?;
        Ok(Response::new(pb::UpdatePlanResponse { plan: Some(plan) }))
    }

    async fn list_plans(
        &self,
        request: Request<pb::ListPlansRequest>,
    ) -> Result<Response<pb::ListPlansResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let page = self.list_plans(ctx.tenant()?, request.get_ref()).await?;
        Ok(Response::new(page))
    }

    async fn archive_plan(
        &self,
        request: Request<pb::ArchivePlanRequest>,
    ) -> Result<Response<pb::ArchivePlanResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let plan = self.archive_plan(ctx.tenant()?, request.get_ref()).await?;
        Ok(Response::new(pb::ArchivePlanResponse { plan: Some(plan) }))
    }

    async fn list_entries(
        &self,
        request: Request<pb::ListEntriesRequest>,
    ) -> Result<Response<pb::ListEntriesResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let page = self
            .list_entries(ctx, ctx.tenant()?, request.get_ref())
            .await?;
        Ok(Response::new(page))
    }

    async fn get_statement(
        &self,
        request: Request<pb::GetStatementRequest>,
    ) -> Result<Response<pb::GetStatementResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let answer = self
            .get_statement(ctx, ctx.tenant()?, request.get_ref())
            .await?;
        Ok(Response::new(answer))
    }

    async fn close_period(
        &self,
        request: Request<pb::ClosePeriodRequest>,
    ) -> Result<Response<pb::ClosePeriodResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let answer = self
            .close_period(ctx, ctx.tenant()?, request.get_ref())
            .await?;
        Ok(Response::new(answer))
    }

    async fn recompute(
        &self,
        request: Request<pb::RecomputeRequest>,
    ) -> Result<Response<pb::RecomputeResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let answer = self.recompute(ctx.tenant()?, request.get_ref()).await?;
        Ok(Response::new(answer))
    }

    async fn pay_statement(
        &self,
        request: Request<pb::PayStatementRequest>,
    ) -> Result<Response<pb::PayStatementResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let statement = self.pay_statement(ctx.tenant()?, request.get_ref()).await?;
        Ok(Response::new(pb::PayStatementResponse {
            statement: Some(statement),
        }))
    }
}
