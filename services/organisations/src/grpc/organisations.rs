//! CreateOrganisation, GetOrganisation, UpdateOrganisation and ListMyOrganisations.

use crm_proto::organisations::v1 as pb;
use tonic::{Request, Response, Status};

use super::{invalid, next_page_token, own_organisation, page};
use crate::convert::{
    Violations, apply_mask, check_mask, data_from_proto, implicit_mask, optional_uuid,
    organisation_to_proto, uuid_field,
};
use crate::domain::{self, ValidOrganisation};
use crate::error::Error;
use crate::events::Actor;
use crate::repo::Repo;

/// Returns the validated fields of `input`, or INVALID_ARGUMENT with the violations in
/// `v` and those of the fields.
fn validated(input: &pb::Organisation, mut v: Violations) -> Result<ValidOrganisation, Error> {
    match domain::validate(data_from_proto(input), "organisation") {
        Ok(valid) if v.is_empty() => Ok(valid),
        Ok(_) => Err(Error::InvalidArgument(v)),
        Err(more) => {
            v.extend(more);
            Err(Error::InvalidArgument(v))
        }
    }
}

/// Creates an organisation; the caller (a user, or a service acting for one) becomes
/// its owner in the same transaction.
pub async fn create(
    repo: &Repo,
    request: Request<pb::CreateOrganisationRequest>,
) -> Result<Response<pb::CreateOrganisationResponse>, Status> {
    let ctx = crm_kit::context(&request)?;
    let creator = ctx.user_id()?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let request_id = optional_uuid(&req.request_id, "request_id", &mut v);
    let Some(input) = &req.organisation else {
        v.push(("organisation".into(), "is required".into()));
        return Err(Error::InvalidArgument(v).into());
    };
    // The id and the times are the service's to set; the request's are ignored.
    let valid = validated(input, v)?;
    let org = repo
        .create_organisation(creator, valid, request_id, &Actor::of(ctx))
        .await?;
    tracing::info!(organisation_id = %org.id, "organisation created");
    Ok(Response::new(pb::CreateOrganisationResponse {
        organisation: Some(organisation_to_proto(&org)),
    }))
}

/// Returns the organisation of the caller's token.
pub async fn get(
    repo: &Repo,
    request: Request<pb::GetOrganisationRequest>,
) -> Result<Response<pb::GetOrganisationResponse>, Status> {
    let ctx = crm_kit::context(&request)?;
    let mut v = Violations::new();
    let id = uuid_field(
        &request.get_ref().organisation_id,
        "organisation_id",
        &mut v,
    );
    invalid(v)?;
    let tenant = own_organisation(ctx, id)?;
    let org = repo.get_organisation(tenant).await?;
    Ok(Response::new(pb::GetOrganisationResponse {
        organisation: Some(organisation_to_proto(&org)),
    }))
}

/// Updates the fields named by the mask (or, without one, every non-empty field).
pub async fn update(
    repo: &Repo,
    request: Request<pb::UpdateOrganisationRequest>,
) -> Result<Response<pb::UpdateOrganisationResponse>, Status> {
    let ctx = crm_kit::context(&request)?;
    let req = request.get_ref();
    let Some(input) = &req.organisation else {
        return Err(
            Error::InvalidArgument(vec![("organisation".into(), "is required".into())]).into(),
        );
    };
    let mut v = Violations::new();
    let id = uuid_field(&input.id, "organisation.id", &mut v);
    let paths = match &req.update_mask {
        Some(mask) if !mask.paths.is_empty() => mask.paths.clone(),
        _ => implicit_mask(input),
    };
    if paths.is_empty() {
        v.push(("update_mask".into(), "names no field to update".into()));
    }
    check_mask(&paths, &mut v);
    invalid(v)?;
    let tenant = own_organisation(ctx, id)?;
    let org = repo
        .update_organisation(tenant, |current| {
            let mut merged = organisation_to_proto(current);
            apply_mask(&mut merged, input, &paths);
            validated(&merged, Violations::new())
        })
        .await?;
    tracing::info!(organisation_id = %org.id, "organisation updated");
    Ok(Response::new(pb::UpdateOrganisationResponse {
        organisation: Some(organisation_to_proto(&org)),
    }))
}

/// Lists the caller's memberships with their organisations, in joining order. Works for
/// a user token with or without an organisation, and for a service acting for a user
/// (the users service, at login).
pub async fn list_mine(
    repo: &Repo,
    request: Request<pb::ListMyOrganisationsRequest>,
) -> Result<Response<pb::ListMyOrganisationsResponse>, Status> {
    let ctx = crm_kit::context(&request)?;
    let user = ctx.user_id()?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let user_text = user.to_string();
    let page = page(
        req.page_size,
        &req.page_token,
        &["my-organisations", &user_text],
        &mut v,
    );
    invalid(v)?;
    let (rows, more) = repo
        .list_my_organisations(user, page.after, page.size)
        .await?;
    let last = rows.last().map(|(m, _)| m.id);
    Ok(Response::new(pb::ListMyOrganisationsResponse {
        organisations: rows
            .iter()
            .map(|(m, o)| pb::OrganisationWithRole {
                organisation: Some(organisation_to_proto(o)),
                role: m.role.to_proto(),
            })
            .collect(),
        next_page_token: next_page_token(more, last, page.fingerprint),
    }))
}
