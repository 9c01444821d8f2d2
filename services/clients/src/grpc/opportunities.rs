//! CreateOpportunity, GetOpportunity, UpdateOpportunity, ListOpportunities,
//! MoveOpportunityStage, MarkWon, MarkLost.

use crm_kit::convert::required_id;
use crm_proto::clients::v1 as pb;
use tonic::{Request, Response};

use super::{
    Answer, ClientsApi, actor, check_assignment, invalid, next_page_token, page, required,
};
use crate::convert::{
    Violations, amount_from_proto, apply_opportunity_mask, billing_details,
    opportunity_data_from_proto, opportunity_implicit_mask, opportunity_to_proto, optional_uuid,
    stage_from_proto, uuid_field,
};
use crate::domain::opportunity::{self as opp, Opportunity, OpportunityData, Stage};
use crate::domain::{Client, Status as ClientStatus};
use crate::error::Error;
use crate::events;
use crate::repo::{OpportunityFilter, now};

/// Refuses changes to an opportunity of an archived client.
fn client_is_live(client: &Client) -> Result<(), Error> {
    if client.data.status == ClientStatus::Archived {
        return Err(Error::FailedPrecondition(
            "the client is archived; restore it first".into(),
        ));
    }
    Ok(())
}

/// Returns the open stage `value` names, recording a violation at `field` otherwise;
/// `default` stands for an unset value when given.
fn open_stage(
    value: i32,
    field: &str,
    default: Option<Stage>,
    v: &mut Violations,
) -> Option<Stage> {
    if value == 0 {
        if default.is_none() {
            v.push((field.to_owned(), "is required".into()));
        }
        return default;
    }
    match stage_from_proto(value) {
        None => {
            v.push((field.to_owned(), "is not a known stage".into()));
            None
        }
        Some(s) if !s.is_open() => {
            v.push((
                field.to_owned(),
                "must be an open stage; use MarkWon or MarkLost to close an opportunity".into(),
            ));
            None
        }
        Some(s) => Some(s),
    }
}

/// Opens an opportunity.
pub async fn create(
    api: &ClientsApi,
    request: Request<pb::CreateOpportunityRequest>,
) -> Answer<pb::CreateOpportunityResponse> {
    let repo = &api.repo;
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let request_id = optional_uuid(&req.request_id, "request_id", &mut v);
    let Some(input) = &req.opportunity else {
        return Err(required("opportunity"));
    };
    if !input.id.is_empty() {
        v.push(("opportunity.id".into(), "is assigned by the service".into()));
    }
    let client_id = uuid_field(&input.client_id, "opportunity.client_id", &mut v);
    let stage = open_stage(input.stage, "opportunity.stage", Some(Stage::New), &mut v);
    if !input.lost_reason.is_empty() {
        v.push((
            "opportunity.lost_reason".into(),
            "is set by MarkLost".into(),
        ));
    }
    let data = opportunity_data_from_proto(input, "opportunity", &mut v);
    let data = opp::validate(data, "opportunity")
        .map_err(|mut more| v.append(&mut more))
        .ok();
    invalid(v)?;
    let (Some(client_id), Some(stage), Some(data)) = (client_id, stage, data) else {
        return Err(required("opportunity"));
    };
    // Without an agent named, the opportunity goes to the client's (whom the caller
    // sees, so within their scope).
    let scope = api.remote.scope(ctx).await?;
    if let Some(commercial) = data.commercial_id {
        check_assignment(&scope, Some(commercial))?;
        api.remote
            .check_commercial(ctx, "opportunity.commercial_id", commercial)
            .await?;
    }
    let created = repo
        .create_opportunity(tenant, client_id, data, stage, request_id, scope)
        .await?;
    tracing::info!(opportunity_id = %created.id, client_id = %client_id, "opportunity created");
    Ok(Response::new(pb::CreateOpportunityResponse {
        opportunity: Some(opportunity_to_proto(&created)),
    }))
}

/// Returns an opportunity.
pub async fn get(
    api: &ClientsApi,
    request: Request<pb::GetOpportunityRequest>,
) -> Answer<pb::GetOpportunityResponse> {
    let repo = &api.repo;
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let id = required_id(&request.get_ref().opportunity_id, "opportunity_id")?;
    let found = repo
        .get_opportunity(tenant, id, api.remote.scope(ctx).await?)
        .await?;
    Ok(Response::new(pb::GetOpportunityResponse {
        opportunity: Some(opportunity_to_proto(&found)),
    }))
}

/// Changes the fields of an open opportunity named by the mask.
pub async fn update(
    api: &ClientsApi,
    request: Request<pb::UpdateOpportunityRequest>,
) -> Answer<pb::UpdateOpportunityResponse> {
    let repo = &api.repo;
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let req = request.get_ref();
    let Some(input) = &req.opportunity else {
        return Err(required("opportunity"));
    };
    let mut v = Violations::new();
    let id = uuid_field(&input.id, "opportunity.id", &mut v);
    let paths = match &req.update_mask {
        Some(mask) if !mask.paths.is_empty() => mask.paths.clone(),
        _ => opportunity_implicit_mask(input),
    };
    if paths.is_empty() {
        v.push(("update_mask".into(), "names no field to update".into()));
    }
    // Unknown paths and malformed values are reported before reading anything.
    apply_opportunity_mask(&OpportunityData::default(), input, &paths, &mut v);
    invalid(v)?;
    let Some(id) = id else {
        return Err(required("opportunity.id"));
    };
    let scope = api.remote.scope(ctx).await?;
    if paths.iter().any(|p| p == "commercial_id")
        && let Ok(commercial) = uuid::Uuid::parse_str(input.commercial_id.trim())
    {
        api.remote
            .check_commercial(ctx, "opportunity.commercial_id", commercial)
            .await?;
    }
    let (updated, _) = repo
        .change_opportunity(
            tenant,
            id,
            scope.clone(),
            input.version,
            |current, client| {
                opp::check_close(current.stage).map_err(Error::FailedPrecondition)?;
                client_is_live(client)?;
                let mut v = Violations::new();
                let mut data = apply_opportunity_mask(&current.data, input, &paths, &mut v);
                invalid(v)?;
                if data.probability.is_none() {
                    data.probability = Some(current.stage.default_probability());
                }
                let data = opp::validate(data, "opportunity").map_err(Error::InvalidArgument)?;
                if data.commercial_id != current.data.commercial_id {
                    check_assignment(&scope, data.commercial_id)?;
                }
                Ok(Opportunity {
                    data,
                    ..current.clone()
                })
            },
            |_, _| None,
        )
        .await?;
    Ok(Response::new(pb::UpdateOpportunityResponse {
        opportunity: Some(opportunity_to_proto(&updated)),
    }))
}

/// Lists opportunities, newest first.
pub async fn list(
    api: &ClientsApi,
    request: Request<pb::ListOpportunitiesRequest>,
) -> Answer<pb::ListOpportunitiesResponse> {
    let repo = &api.repo;
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let stage = if req.stage == 0 {
        None
    } else {
        let s = stage_from_proto(req.stage);
        if s.is_none() {
            v.push(("stage".into(), "is not a known stage".into()));
        }
        s
    };
    let filter = OpportunityFilter {
        stage,
        commercial_id: optional_uuid(&req.commercial_id, "commercial_id", &mut v),
        client_id: optional_uuid(&req.client_id, "client_id", &mut v),
    };
    let page = page(
        req.page_size,
        &req.page_token,
        &[
            "opportunities",
            &req.stage.to_string(),
            &req.commercial_id,
            &req.client_id,
        ],
        &mut v,
    );
    invalid(v)?;
    let (found, more) = repo
        .list_opportunities(
            tenant,
            &filter,
            api.remote.scope(ctx).await?,
            page.after,
            page.size,
        )
        .await?;
    Ok(Response::new(pb::ListOpportunitiesResponse {
        next_page_token: next_page_token(more, found.last().map(|o| o.id), page.fingerprint),
        opportunities: found.iter().map(opportunity_to_proto).collect(),
    }))
}

/// Moves an open opportunity to another open stage.
pub async fn move_stage(
    api: &ClientsApi,
    request: Request<pb::MoveOpportunityStageRequest>,
) -> Answer<pb::MoveOpportunityStageResponse> {
    let repo = &api.repo;
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let id = uuid_field(&req.opportunity_id, "opportunity_id", &mut v);
    let to = open_stage(req.stage, "stage", None, &mut v);
    if let Some(p) = req.probability {
        opp::check_probability(p, "probability", &mut v);
    }
    invalid(v)?;
    let (Some(id), Some(to)) = (id, to) else {
        return Err(required("stage"));
    };
    let actor = actor(ctx);
    let (moved, _) = repo
        .change_opportunity(
            tenant,
            id,
            api.remote.scope(ctx).await?,
            req.version,
            |current, client| {
                opp::check_move(current.stage, to).map_err(Error::FailedPrecondition)?;
                client_is_live(client)?;
                let mut next = current.clone();
                next.stage = to;
                next.data.probability = Some(req.probability.unwrap_or(to.default_probability()));
                Ok(next)
            },
            |before, after| Some(events::stage_changed(before, after, &actor)),
        )
        .await?;
    Ok(Response::new(pb::MoveOpportunityStageResponse {
        opportunity: Some(opportunity_to_proto(&moved)),
    }))
}

/// Marks an open opportunity won and returns what a contract draft needs.
pub async fn mark_won(
    api: &ClientsApi,
    request: Request<pb::MarkWonRequest>,
) -> Answer<pb::MarkWonResponse> {
    let repo = &api.repo;
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let id = uuid_field(&req.opportunity_id, "opportunity_id", &mut v);
    let mut amount = amount_from_proto(req.amount.as_ref());
    if let Some(a) = &mut amount {
        opp::check_amount(a, "amount", &mut v);
    }
    invalid(v)?;
    let Some(id) = id else {
        return Err(required("opportunity_id"));
    };
    let actor = actor(ctx);
    let (won, client) = repo
        .change_opportunity(
            tenant,
            id,
            api.remote.scope(ctx).await?,
            req.version,
            |current, client| {
                opp::check_close(current.stage).map_err(Error::FailedPrecondition)?;
                client_is_live(client)?;
                let mut next = current.clone();
                next.stage = Stage::Won;
                next.data.probability = Some(Stage::Won.default_probability());
                if amount.is_some() {
                    next.data.amount = amount;
                }
                next.closed_at = Some(now());
                Ok(next)
            },
            |before, after| Some(events::won(before, after, &actor)),
        )
        .await?;
    tracing::info!(opportunity_id = %won.id, "opportunity won");
    let proto = opportunity_to_proto(&won);
    let draft = pb::ContractDraft {
        opportunity_id: proto.id.clone(),
        client_id: proto.client_id.clone(),
        commercial_id: proto.commercial_id.clone(),
        product_id: proto.product_id.clone(),
        product_interest: proto.product_interest.clone(),
        amount: proto.amount.clone(),
        billing: Some(billing_details(&client)),
    };
    Ok(Response::new(pb::MarkWonResponse {
        opportunity: Some(proto),
        contract_draft: Some(draft),
    }))
}

/// Marks an open opportunity lost, with its reason. An archived client's open
/// opportunities may still be closed this way.
pub async fn mark_lost(
    api: &ClientsApi,
    request: Request<pb::MarkLostRequest>,
) -> Answer<pb::MarkLostResponse> {
    let repo = &api.repo;
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let id = uuid_field(&req.opportunity_id, "opportunity_id", &mut v);
    let reason = opp::check_lost_reason(&req.lost_reason)
        .map_err(|problem| v.push(("lost_reason".into(), problem)))
        .ok();
    invalid(v)?;
    let (Some(id), Some(reason)) = (id, reason) else {
        return Err(required("lost_reason"));
    };
    let actor = actor(ctx);
    let (lost, _) = repo
        .change_opportunity(
            tenant,
            id,
            api.remote.scope(ctx).await?,
            req.version,
            |current, _| {
                opp::check_close(current.stage).map_err(Error::FailedPrecondition)?;
                let mut next = current.clone();
                next.stage = Stage::Lost;
                next.data.probability = Some(Stage::Lost.default_probability());
                next.lost_reason = reason;
                next.closed_at = Some(now());
                Ok(next)
            },
            |before, after| Some(events::lost(before, after, &actor)),
        )
        .await?;
    tracing::info!(opportunity_id = %lost.id, "opportunity lost");
    Ok(Response::new(pb::MarkLostResponse {
        opportunity: Some(opportunity_to_proto(&lost)),
    }))
}
