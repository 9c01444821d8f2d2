//! CreateClient, GetClient, UpdateClient, ListClients, ArchiveClient, RestoreClient.

use chrono::{NaiveDate, Utc};
use crm_kit::RequestContext;
use crm_kit::convert::required_id;
use crm_proto::clients::v1 as pb;
use tonic::{Request, Response};

use super::{
    Answer, ClientsApi, actor, check_assignment, default_commercial, invalid, next_page_token,
};
use crate::convert::{
    Violations, apply_mask, client_into_proto, client_to_proto, data_from_proto, from_timestamp,
    implicit_mask, optional_uuid, status_from_proto, uuid_field,
};
use crate::domain::{self, ClientData, Status as ClientStatus};
use crate::error::Error;
use crate::events;
use crate::repo::ListFilter;

/// Returns the checked fields of a new client (CreateClient, and each ImportClients
/// row), recording every violation under "client". An agent's new client is theirs
/// unless they say otherwise.
pub(super) fn new_client_data(
    ctx: &RequestContext,
    input: &pb::Client,
    today: NaiveDate,
    v: &mut Violations,
) -> Option<ClientData> {
    if !input.id.is_empty() {
        v.push(("client.id".into(), "is assigned by the service".into()));
    }
    if input.status == pb::ClientStatus::Archived as i32 {
        v.push((
            "client.status".into(),
            "a new client cannot be archived".into(),
        ));
    }
    let mut data = data_from_proto(input, "client", ClientStatus::Prospect, v);
    if let Some(d) = &mut data {
        d.commercial_id = default_commercial(ctx, d.commercial_id);
    }
    match data.map(|d| domain::validate(d, "client", today)) {
        Some(Ok(d)) if v.is_empty() => Some(d),
        Some(Err(mut more)) => {
            v.append(&mut more);
            None
        }
        _ => None,
    }
}

/// The filters of ListClients and ExportClients, checked, with their fingerprint.
pub(super) struct Filters {
    pub filter: ListFilter,
    pub fingerprint_parts: Vec<String>,
}

/// Returns the filters of ListClients and ExportClients, recording every violation.
pub(super) fn list_filter(
    status: i32,
    commercial_id: &str,
    tag: &str,
    created_after: Option<&prost_types::Timestamp>,
    created_before: Option<&prost_types::Timestamp>,
    query: &str,
    v: &mut Violations,
) -> Filters {
    let status_value = if status == 0 {
        None
    } else {
        let s = status_from_proto(status);
        if s.is_none() {
            v.push(("status".into(), "is not a known status".into()));
        }
        s
    };
    let tag_key = tag.trim().to_lowercase();
    let query_key = query.trim().to_lowercase();
    if query_key.chars().count() > 200 {
        v.push(("query".into(), "must be at most 200 characters".into()));
    }
    let filter = ListFilter {
        status: status_value,
        commercial_id: optional_uuid(commercial_id, "commercial_id", v),
        tag: (!tag_key.is_empty()).then_some(tag_key),
        created_after: created_after.and_then(|t| from_timestamp(t, "created_after", v)),
        created_before: created_before.and_then(|t| from_timestamp(t, "created_before", v)),
        query: (!query_key.is_empty()).then_some(query_key),
    };
    Filters {
        filter,
        fingerprint_parts: vec![
            status.to_string(),
            commercial_id.to_owned(),
            tag.to_owned(),
            format!("{created_after:?}"),
            format!("{created_before:?}"),
            query.to_owned(),
        ],
    }
}

/// Creates a client.
pub async fn create(
    api: &ClientsApi,
    request: Request<pb::CreateClientRequest>,
) -> Answer<pb::CreateClientResponse> {
    let repo = &api.repo;
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let request_id = optional_uuid(&req.request_id, "request_id", &mut v);
    let Some(input) = &req.client else {
        return Err(super::required("client"));
    };
    let data = new_client_data(ctx, input, Utc::now().date_naive(), &mut v);
    let Some(data) = data.filter(|_| v.is_empty()) else {
        return Err(Error::InvalidArgument(v).into());
    };
    check_assignment(&api.remote.scope(ctx).await?, data.commercial_id)?;
    if let Some(commercial) = data.commercial_id {
        api.remote
            .check_commercial(ctx, "client.commercial_id", commercial)
            .await?;
    }
    let client = repo.create(tenant, data, request_id, &actor(ctx)).await?;
    tracing::info!(client_id = %client.id, "client created");
    Ok(Response::new(pb::CreateClientResponse {
        client: Some(client_into_proto(client)),
    }))
}

/// Returns a client.
pub async fn get(
    api: &ClientsApi,
    request: Request<pb::GetClientRequest>,
) -> Answer<pb::GetClientResponse> {
    let repo = &api.repo;
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let id = required_id(&request.get_ref().client_id, "client_id")?;
    let client = repo.get(tenant, id, api.remote.scope(ctx).await?).await?;
    Ok(Response::new(pb::GetClientResponse {
        client: Some(client_into_proto(client)),
    }))
}

/// Changes the fields named by the mask.
pub async fn update(
    api: &ClientsApi,
    request: Request<pb::UpdateClientRequest>,
) -> Answer<pb::UpdateClientResponse> {
    let repo = &api.repo;
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let req = request.get_ref();
    let Some(input) = &req.client else {
        return Err(super::required("client"));
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
    if paths.iter().any(|p| p == "status") && input.status == pb::ClientStatus::Archived as i32 {
        v.push((
            "client.status".into(),
            "use ArchiveClient to archive".into(),
        ));
    }
    invalid(v)?;
    let Some(id) = id else {
        return Err(super::required("client.id"));
    };
    let scope = api.remote.scope(ctx).await?;
    if paths.iter().any(|p| p == "commercial_id")
        && let Ok(commercial) = uuid::Uuid::parse_str(input.commercial_id.trim())
    {
        api.remote
            .check_commercial(ctx, "client.commercial_id", commercial)
            .await?;
    }
    let today = Utc::now().date_naive();
    let updated = repo
        .update(
            tenant,
            id,
            scope.clone(),
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
                    check_assignment(&scope, data.commercial_id)?;
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

/// Lists clients, newest first.
pub async fn list(
    api: &ClientsApi,
    request: Request<pb::ListClientsRequest>,
) -> Answer<pb::ListClientsResponse> {
    let repo = &api.repo;
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let size = crm_db::page_size(req.page_size)
        .map_err(|e| v.push(("page_size".into(), e.to_string())))
        .ok();
    let filters = list_filter(
        req.status,
        &req.commercial_id,
        &req.tag,
        req.created_after.as_ref(),
        req.created_before.as_ref(),
        &req.query,
        &mut v,
    );
    let parts: Vec<&str> = filters
        .fingerprint_parts
        .iter()
        .map(String::as_str)
        .collect();
    let fingerprint = crm_db::page::fingerprint(&parts);
    let after = crm_db::PageToken::decode(&req.page_token, fingerprint)
        .map_err(|e| v.push(("page_token".into(), e.to_string())))
        .ok()
        .flatten()
        .map(|t| t.after);
    invalid(v)?;
    let size = size.unwrap_or(crm_db::page::DEFAULT_PAGE_SIZE);
    let (clients, more) = repo
        .list(
            tenant,
            &filters.filter,
            api.remote.scope(ctx).await?,
            after,
            size,
        )
        .await?;
    Ok(Response::new(pb::ListClientsResponse {
        next_page_token: next_page_token(more, clients.last().map(|c| c.id), fingerprint),
        clients: clients.into_iter().map(client_into_proto).collect(),
    }))
}

/// Archives a client.
pub async fn archive(
    api: &ClientsApi,
    request: Request<pb::ArchiveClientRequest>,
) -> Answer<pb::ArchiveClientResponse> {
    let repo = &api.repo;
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let id = required_id(&request.get_ref().client_id, "client_id")?;
    let scope = api.remote.scope(ctx).await?;
    // Not found (or not visible) before asking contrats anything about it.
    repo.get(tenant, id, scope.clone()).await?;
    if api.remote.has_contract_in_force(ctx, id).await? {
        return Err(Error::FailedPrecondition(
            "the client has a contract in force (active or suspended); terminate it first".into(),
        )
        .into());
    }
    let client = repo
        .update(
            tenant,
            id,
            scope,
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

/// Restores an archived client; a client archived by a merge stays merged.
pub async fn restore(
    api: &ClientsApi,
    request: Request<pb::RestoreClientRequest>,
) -> Answer<pb::RestoreClientResponse> {
    let repo = &api.repo;
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let id = required_id(&request.get_ref().client_id, "client_id")?;
    let client = repo
        .update(
            tenant,
            id,
            api.remote.scope(ctx).await?,
            0,
            |current| {
                if current.data.status != ClientStatus::Archived {
                    return Err(Error::FailedPrecondition(
                        "the client is not archived".into(),
                    ));
                }
                if let Some(survivor) = current.merged_into {
                    return Err(Error::FailedPrecondition(format!(
                        "the client was merged into {survivor} and cannot be restored"
                    )));
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
