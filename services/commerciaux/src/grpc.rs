//! The tonic implementation of `crm.commerciaux.v1.CommercialService`: decode,
//! authorise, call the domain and the store, encode.

use chrono::Utc;
use crm_db::Tenant;
use crm_kit::RequestContext;
use crm_kit::convert::required_id;
use crm_proto::commerciaux::v1 as pb;
use crm_proto::commerciaux::v1::commercial_service_server::CommercialService;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::convert::{
    Violations, apply_mask, commercial_into_proto, commercial_to_proto, data_from_proto,
    implicit_mask, optional_uuid, status_from_proto, uuid_field,
};
use crate::domain::{self, Status as CommercialStatus};
use crate::error::Error;
use crate::events::Actor;
use crate::portfolio::Portfolio;
use crate::repo::{ListFilter, Ranked, Repo};

const MANAGER_FIELD: &str = "commercial.manager_id";

/// The commerciaux API.
#[derive(Debug, Clone)]
pub struct CommerciauxApi {
    repo: Repo,
    portfolio: Portfolio,
}

impl CommerciauxApi {
    /// Returns the API over `repo`, moving portfolios through `portfolio`.
    pub fn new(repo: Repo, portfolio: Portfolio) -> Self {
        Self { repo, portfolio }
    }

    /// Adds "no such commercial" for `manager` to violations that do not already name
    /// the manager, so a request with several mistakes learns of this one too.
    async fn add_missing_manager(
        &self,
        tenant: Tenant,
        manager: Option<Uuid>,
        v: &mut Violations,
    ) -> Result<(), Error> {
        if let Some(manager) = manager
            && !v.iter().any(|(f, _)| f == MANAGER_FIELD)
            && !self.repo.exists(tenant, manager).await?
        {
            v.push((MANAGER_FIELD.into(), "no such commercial".into()));
        }
        Ok(())
    }
}

/// Returns who is acting, for the events' metadata.
fn actor(ctx: &RequestContext) -> Actor {
    Actor {
        user_id: ctx.user_id().ok(),
        traceparent: ctx.traceparent.clone(),
    }
}

/// Checks the caller may change commerciaux: owners, admins and managers. The
/// permission table lets every writing role through; agents are refused here.
fn invalid(v: Violations) -> Result<(), Error> {
    if v.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidArgument(v))
    }
}

fn required<T>(message: &Option<T>) -> Result<&T, Error> {
    message
        .as_ref()
        .ok_or_else(|| Error::InvalidArgument(vec![("commercial".into(), "is required".into())]))
}

fn page_size(requested: i32, v: &mut Violations) -> u64 {
    crm_db::page_size(requested)
        .map_err(|e| v.push(("page_size".into(), e.to_string())))
        .unwrap_or(crm_db::page::DEFAULT_PAGE_SIZE)
}

fn page_after(token: &str, fingerprint: u64, v: &mut Violations) -> Option<Uuid> {
    crm_db::PageToken::decode(token, fingerprint)
        .map_err(|e| v.push(("page_token".into(), e.to_string())))
        .ok()
        .flatten()
        .map(|t| t.after)
}

fn next_token(more: bool, last: Option<Uuid>, fingerprint: u64) -> String {
    match (more, last) {
        (true, Some(after)) => crm_db::PageToken {
            after,
            filters: fingerprint,
        }
        .encode(),
        _ => String::new(),
    }
}

fn level(distance: usize) -> i32 {
    i32::try_from(distance).unwrap_or(i32::MAX)
}

#[tonic::async_trait]
impl CommercialService for CommerciauxApi {
    async fn create_commercial(
        &self,
        request: Request<pb::CreateCommercialRequest>,
    ) -> Result<Response<pb::CreateCommercialResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let tenant = ctx.tenant()?;
        let req = request.get_ref();
        let input = required(&req.commercial)?;
        let mut v = Violations::new();
        let request_id = optional_uuid(&req.request_id, "request_id", &mut v);
        if !input.id.is_empty() {
            v.push(("commercial.id".into(), "is assigned by the service".into()));
        }
        let data = data_from_proto(input, "commercial", CommercialStatus::Active, &mut v);
        let manager = data.manager_id;
        let data = domain::validate(data, "commercial", Utc::now().date_naive())
            .map_err(|mut more| v.append(&mut more))
            .ok();
        if !v.is_empty() {
            self.add_missing_manager(tenant, manager, &mut v).await?;
        }
        let Some(data) = data.filter(|_| v.is_empty()) else {
            return Err(Error::InvalidArgument(v).into());
        };
        let commercial = self
            .repo
            .create(tenant, data, request_id, &actor(ctx))
            .await?;
        tracing::info!(commercial_id = %commercial.id, "commercial created");
        Ok(Response::new(pb::CreateCommercialResponse {
            commercial: Some(commercial_into_proto(commercial)),
        }))
    }

    async fn get_commercial(
        &self,
        request: Request<pb::GetCommercialRequest>,
    ) -> Result<Response<pb::GetCommercialResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let tenant = ctx.tenant()?;
        let id = required_id(&request.get_ref().commercial_id, "commercial_id")?;
        let commercial = self.repo.get(tenant, id).await?;
        Ok(Response::new(pb::GetCommercialResponse {
            commercial: Some(commercial_into_proto(commercial)),
        }))
    }

    async fn update_commercial(
        &self,
        request: Request<pb::UpdateCommercialRequest>,
    ) -> Result<Response<pb::UpdateCommercialResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let tenant = ctx.tenant()?;
        let req = request.get_ref();
        let input = required(&req.commercial)?;
        let mut v = Violations::new();
        let id = uuid_field(&input.id, "commercial.id", &mut v);
        if input.version < 0 {
            v.push(("commercial.version".into(), "must not be negative".into()));
        }
        let paths = match &req.update_mask {
            Some(mask) if !mask.paths.is_empty() => mask.paths.clone(),
            _ => implicit_mask(input),
        };
        if paths.is_empty() {
            v.push(("update_mask".into(), "names no field to update".into()));
        }
        // The paths are checked before anything is read, with the id.
        apply_mask(&mut pb::Commercial::default(), input, &paths, &mut v);
        let manager = paths
            .iter()
            .any(|p| p == "manager_id")
            .then(|| optional_uuid(&input.manager_id, MANAGER_FIELD, &mut Violations::new()))
            .flatten();
        invalid(v)?;
        let Some(id) = id else {
            return Err(Error::InvalidArgument(vec![(
                "commercial.id".into(),
                "is required".into(),
            )])
            .into());
        };
        let today = Utc::now().date_naive();
        let result = self
            .repo
            .update(
                tenant,
                id,
                input.version,
                |current| {
                    let mut merged = commercial_to_proto(current);
                    let mut v = Violations::new();
                    apply_mask(&mut merged, input, &paths, &mut v);
                    let data = data_from_proto(&merged, "commercial", current.data.status, &mut v);
                    if data.manager_id == Some(current.id) {
                        v.push((
                            MANAGER_FIELD.into(),
                            "a commercial cannot be their own manager".into(),
                        ));
                    }
                    let data = domain::validate(data, "commercial", today)
                        .map_err(|mut more| v.append(&mut more))
                        .ok();
                    match data {
                        Some(data) if v.is_empty() => Ok(data),
                        _ => Err(Error::InvalidArgument(v)),
                    }
                },
                &actor(ctx),
            )
            .await;
        let updated = match result {
            Err(Error::InvalidArgument(mut v)) => {
                self.add_missing_manager(tenant, manager, &mut v).await?;
                return Err(Error::InvalidArgument(v).into());
            }
            other => other?,
        };
        Ok(Response::new(pb::UpdateCommercialResponse {
            commercial: Some(commercial_into_proto(updated)),
        }))
    }

    async fn list_commerciaux(
        &self,
        request: Request<pb::ListCommerciauxRequest>,
    ) -> Result<Response<pb::ListCommerciauxResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let tenant = ctx.tenant()?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let size = page_size(req.page_size, &mut v);
        let status = if req.status == 0 {
            None
        } else {
            let s = status_from_proto(req.status);
            if s.is_none() {
                v.push(("status".into(), "is not a known status".into()));
            }
            s
        };
        let team = req.team.trim();
        let query = req.query.trim().to_lowercase();
        if query.chars().count() > 200 {
            v.push(("query".into(), "must be at most 200 characters".into()));
        }
        let filter = ListFilter {
            status,
            team: (!team.is_empty()).then(|| team.to_owned()),
            manager_id: optional_uuid(&req.manager_id, "manager_id", &mut v),
            query: (!query.is_empty()).then_some(query),
        };
        let fingerprint = crm_db::page::fingerprint(&[
            &req.status.to_string(),
            &req.team,
            &req.manager_id,
            &req.query,
        ]);
        let after = page_after(&req.page_token, fingerprint, &mut v);
        invalid(v)?;
        let (commerciaux, more) = self.repo.list(tenant, &filter, after, size).await?;
        let next_page_token = next_token(more, commerciaux.last().map(|c| c.id), fingerprint);
        Ok(Response::new(pb::ListCommerciauxResponse {
            commerciaux: commerciaux.into_iter().map(commercial_into_proto).collect(),
            next_page_token,
        }))
    }

    async fn deactivate_commercial(
        &self,
        request: Request<pb::DeactivateCommercialRequest>,
    ) -> Result<Response<pb::DeactivateCommercialResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let tenant = ctx.tenant()?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let id = uuid_field(&req.commercial_id, "commercial_id", &mut v);
        if req.version < 0 {
            v.push(("version".into(), "must not be negative".into()));
        }
        invalid(v)?;
        let Some(id) = id else {
            return Err(Error::InvalidArgument(vec![(
                "commercial_id".into(),
                "is required".into(),
            )])
            .into());
        };
        let commercial = self
            .repo
            .deactivate(tenant, id, req.version, &actor(ctx))
            .await?;
        tracing::info!(commercial_id = %commercial.id, "commercial deactivated");
        Ok(Response::new(pb::DeactivateCommercialResponse {
            commercial: Some(commercial_into_proto(commercial)),
        }))
    }

    async fn get_hierarchy(
        &self,
        request: Request<pb::GetHierarchyRequest>,
    ) -> Result<Response<pb::GetHierarchyResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let tenant = ctx.tenant()?;
        let id = required_id(&request.get_ref().commercial_id, "commercial_id")?;
        let upline = self.repo.upline(tenant, id).await?;
        let depth = level(upline.len());
        Ok(Response::new(pb::GetHierarchyResponse {
            upline: upline
                .into_iter()
                .map(|(c, l): Ranked| pb::HierarchyLevel {
                    level: level(l),
                    commercial: Some(commercial_into_proto(c)),
                })
                .collect(),
            depth,
        }))
    }

    async fn list_team(
        &self,
        request: Request<pb::ListTeamRequest>,
    ) -> Result<Response<pb::ListTeamResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let tenant = ctx.tenant()?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let id = uuid_field(&req.commercial_id, "commercial_id", &mut v);
        let size = page_size(req.page_size, &mut v);
        let fingerprint =
            crm_db::page::fingerprint(&[req.commercial_id.trim(), &req.direct_only.to_string()]);
        let after = page_after(&req.page_token, fingerprint, &mut v);
        invalid(v)?;
        let Some(id) = id else {
            return Err(Error::InvalidArgument(vec![(
                "commercial_id".into(),
                "is required".into(),
            )])
            .into());
        };
        let (members, more) = self
            .repo
            .team(tenant, id, req.direct_only, after, size)
            .await?;
        let next_page_token = next_token(more, members.last().map(|(c, _)| c.id), fingerprint);
        Ok(Response::new(pb::ListTeamResponse {
            members: members
                .into_iter()
                .map(|(c, d)| pb::TeamMember {
                    depth: level(d),
                    commercial: Some(commercial_into_proto(c)),
                })
                .collect(),
            next_page_token,
        }))
    }

    async fn reassign_portfolio(
        &self,
        request: Request<pb::ReassignPortfolioRequest>,
    ) -> Result<Response<pb::ReassignPortfolioResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let tenant = ctx.tenant()?;
        let moved = self
            .portfolio
            .reassign(&self.repo, ctx, tenant, request.get_ref())
            .await?;
        Ok(Response::new(moved))
    }
}
