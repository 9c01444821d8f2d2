//! The tonic implementation of `crm.clients.v1.ClientService`: decode, authorise, call
//! the domain and the store, encode.

use chrono::Utc;
use crm_kit::convert::required_id;
use crm_kit::{RequestContext, Role};
use crm_proto::clients::v1 as pb;
use crm_proto::clients::v1::client_service_server::ClientService;
use tonic::{Request, Response, Status};

use crate::convert::{
    Violations, apply_mask, client_into_proto, client_to_proto, data_from_proto, from_timestamp,
    implicit_mask, optional_uuid, status_from_proto, uuid_field,
};
use crate::domain::{self, Status as ClientStatus, Visibility};
use crate::error::Error;
use crate::events::{self, Actor};
use crate::repo::{ListFilter, Repo};

/// The clients API.
#[derive(Debug, Clone)]
pub struct ClientsApi {
    repo: Repo,
}

impl ClientsApi {
    /// Returns the API over `repo`.
    pub fn new(repo: Repo) -> Self {
        Self { repo }
    }
}

/// Returns who is acting, for the events' metadata.
fn actor(ctx: &RequestContext) -> Actor {
    Actor {
        user_id: ctx.user_id().ok(),
        traceparent: ctx.traceparent.clone(),
    }
}

/// Returns which clients the caller may see: agents only those assigned to them.
fn visibility(ctx: &RequestContext) -> Visibility {
    match ctx.role {
        Some(Role::Agent) => Visibility::AssignedTo(ctx.commercial_id),
        _ => Visibility::All,
    }
}

/// Checks an agent does not hand a client to someone else.
fn check_assignment(ctx: &RequestContext, commercial: Option<uuid::Uuid>) -> Result<(), Error> {
    if ctx.role == Some(Role::Agent) && commercial != ctx.commercial_id {
        return Err(Error::PermissionDenied(
            "an agent may only assign clients to themselves".into(),
        ));
    }
    Ok(())
}

fn invalid(v: Violations) -> Result<(), Error> {
    if v.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidArgument(v))
    }
}

#[tonic::async_trait]
impl ClientService for ClientsApi {
    async fn create_client(
        &self,
        request: Request<pb::CreateClientRequest>,
    ) -> Result<Response<pb::CreateClientResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let tenant = ctx.tenant()?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let request_id = optional_uuid(&req.request_id, "request_id", &mut v);
        let Some(input) = &req.client else {
            return Err(
                Error::InvalidArgument(vec![("client".into(), "is required".into())]).into(),
            );
        };
        if !input.id.is_empty() {
            v.push(("client.id".into(), "is assigned by the service".into()));
        }
        if input.status == pb::ClientStatus::Archived as i32 {
            v.push((
                "client.status".into(),
                "a new client cannot be archived".into(),
            ));
        }
        let mut data = data_from_proto(input, "client", ClientStatus::Prospect, &mut v);
        if let Some(d) = &mut data {
            // An agent's new client is theirs unless they say otherwise.
            if ctx.role == Some(Role::Agent) && d.commercial_id.is_none() {
                d.commercial_id = ctx.commercial_id;
            }
        }
        let data = match data.map(|d| domain::validate(d, "client", Utc::now().date_naive())) {
            Some(Ok(d)) if v.is_empty() => d,
            Some(Err(mut more)) => {
                v.append(&mut more);
                return Err(Error::InvalidArgument(v).into());
            }
            _ => return Err(Error::InvalidArgument(v).into()),
        };
        check_assignment(ctx, data.commercial_id)?;
        let client = self
            .repo
            .create(tenant, data, request_id, &actor(ctx))
            .await?;
        tracing::info!(client_id = %client.id, "client created");
        Ok(Response::new(pb::CreateClientResponse {
            client: Some(client_into_proto(client)),
        }))
    }

    async fn get_client(
        &self,
        request: Request<pb::GetClientRequest>,
    ) -> Result<Response<pb::GetClientResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let tenant = ctx.tenant()?;
        let id = required_id(&request.get_ref().client_id, "client_id")?;
        let client = self.repo.get(tenant, id, visibility(ctx)).await?;
        Ok(Response::new(pb::GetClientResponse {
            client: Some(client_into_proto(client)),
        }))
    }

    async fn update_client(
        &self,
        request: Request<pb::UpdateClientRequest>,
    ) -> Result<Response<pb::UpdateClientResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let tenant = ctx.tenant()?;
        let req = request.get_ref();
        let Some(input) = &req.client else {
            return Err(
                Error::InvalidArgument(vec![("client".into(), "is required".into())]).into(),
            );
        };
        let mut v = Violations::new();
        let id = uuid_field(&input.id, "client.id", &mut v);
        let paths = match &req.update_mask {
            Some(mask) if !mask.paths.is_empty() => mask.paths.clone(),
            _ => implicit_mask(input),
        };
        if paths.is_empty() {
            v.push(("update_mask".into(), "names no field to update".into()));
        }
        if paths.iter().any(|p| p == "status") && input.status == pb::ClientStatus::Archived as i32
        {
            v.push((
                "client.status".into(),
                "use ArchiveClient to archive".into(),
            ));
        }
        invalid(v)?;
        let Some(id) = id else {
            return Err(Status::invalid_argument("client.id"));
        };
        let today = Utc::now().date_naive();
        let updated = self
            .repo
            .update(
                tenant,
                id,
                visibility(ctx),
                input.version,
                |current| {
                    if current.data.status == ClientStatus::Archived {
                        return Err(Error::FailedPrecondition(
                            "an archived client cannot be changed; restore it first".into(),
                        ));
                    }
                    let mut merged = client_to_proto(current);
                    let mut v = Violations::new();
                    apply_mask(&mut merged, input, &paths, &mut v);
                    let data = data_from_proto(&merged, "client", current.data.status, &mut v);
                    let data = match data.map(|d| domain::validate(d, "client", today)) {
                        Some(Ok(d)) if v.is_empty() => d,
                        Some(Err(mut more)) => {
                            v.append(&mut more);
                            return Err(Error::InvalidArgument(v));
                        }
                        _ => return Err(Error::InvalidArgument(v)),
                    };
                    if data.commercial_id != current.data.commercial_id {
                        check_assignment(ctx, data.commercial_id)?;
                    }
                    let mut next = current.clone();
                    next.data = data;
                    Ok(next)
                },
                |before, after| events::updated(before, after, &paths, &actor(ctx)),
            )
            .await?;
        Ok(Response::new(pb::UpdateClientResponse {
            client: Some(client_into_proto(updated)),
        }))
    }

    async fn list_clients(
        &self,
        request: Request<pb::ListClientsRequest>,
    ) -> Result<Response<pb::ListClientsResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let tenant = ctx.tenant()?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let size = crm_db::page_size(req.page_size)
            .map_err(|e| v.push(("page_size".into(), e.to_string())))
            .ok();
        let status = if req.status == 0 {
            None
        } else {
            let s = status_from_proto(req.status);
            if s.is_none() {
                v.push(("status".into(), "is not a known status".into()));
            }
            s
        };
        let tag = req.tag.trim().to_lowercase();
        let query = req.query.trim().to_lowercase();
        if query.chars().count() > 200 {
            v.push(("query".into(), "must be at most 200 characters".into()));
        }
        let filter = ListFilter {
            status,
            commercial_id: optional_uuid(&req.commercial_id, "commercial_id", &mut v),
            tag: (!tag.is_empty()).then_some(tag),
            created_after: req
                .created_after
                .as_ref()
                .and_then(|t| from_timestamp(t, "created_after", &mut v)),
            created_before: req
                .created_before
                .as_ref()
                .and_then(|t| from_timestamp(t, "created_before", &mut v)),
            query: (!query.is_empty()).then_some(query),
        };
        let fingerprint = crm_db::page::fingerprint(&[
            &req.status.to_string(),
            &req.commercial_id,
            &req.tag,
            &format!("{:?}", req.created_after),
            &format!("{:?}", req.created_before),
            &req.query,
        ]);
        let after = crm_db::PageToken::decode(&req.page_token, fingerprint)
            .map_err(|e| v.push(("page_token".into(), e.to_string())))
            .ok()
            .flatten();
        invalid(v)?;
        let size = size.unwrap_or(crm_db::page::DEFAULT_PAGE_SIZE);
        let (clients, more) = self
            .repo
            .list(
                tenant,
                &filter,
                visibility(ctx),
                after.map(|t| t.after),
                size,
            )
            .await?;
        let next_page_token = match (more, clients.last()) {
            (true, Some(last)) => crm_db::PageToken {
                after: last.id,
                filters: fingerprint,
            }
            .encode(),
            _ => String::new(),
        };
        Ok(Response::new(pb::ListClientsResponse {
            clients: clients.into_iter().map(client_into_proto).collect(),
            next_page_token,
        }))
    }

    async fn archive_client(
        &self,
        request: Request<pb::ArchiveClientRequest>,
    ) -> Result<Response<pb::ArchiveClientResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let tenant = ctx.tenant()?;
        let id = required_id(&request.get_ref().client_id, "client_id")?;
        let client = self
            .repo
            .update(
                tenant,
                id,
                visibility(ctx),
                0,
                |current| {
                    if current.data.status == ClientStatus::Archived {
                        return Err(Error::FailedPrecondition(
                            "the client is already archived".into(),
                        ));
                    }
                    let mut next = current.clone();
                    next.previous_status = Some(current.data.status);
                    next.data.status = ClientStatus::Archived;
                    Ok(next)
                },
                |before, after| events::archived(before, after, &actor(ctx)),
            )
            .await?;
        Ok(Response::new(pb::ArchiveClientResponse {
            client: Some(client_into_proto(client)),
        }))
    }

    async fn restore_client(
        &self,
        request: Request<pb::RestoreClientRequest>,
    ) -> Result<Response<pb::RestoreClientResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let tenant = ctx.tenant()?;
        let id = required_id(&request.get_ref().client_id, "client_id")?;
        let client = self
            .repo
            .update(
                tenant,
                id,
                visibility(ctx),
                0,
                |current| {
                    if current.data.status != ClientStatus::Archived {
                        return Err(Error::FailedPrecondition(
                            "the client is not archived".into(),
                        ));
                    }
                    let mut next = current.clone();
                    next.data.status = domain::restored_status(current.previous_status);
                    next.previous_status = None;
                    Ok(next)
                },
                |before, after| events::updated(before, after, &["status".to_owned()], &actor(ctx)),
            )
            .await?;
        Ok(Response::new(pb::RestoreClientResponse {
            client: Some(client_into_proto(client)),
        }))
    }
}
