//! CreateContact, GetContact, UpdateContact, ListContacts, DeleteContact.

use crm_kit::convert::required_id;
use crm_proto::clients::v1 as pb;
use tonic::{Request, Response};

use super::{Answer, ClientsApi, invalid, next_page_token, page, required};
use crate::convert::{
    Violations, apply_contact_mask, contact_data_from_proto, contact_implicit_mask,
    contact_to_proto, optional_uuid, uuid_field,
};
use crate::domain::contact::{self, ContactData};
use crate::error::Error;

/// Adds a contact to a company client.
pub async fn create(
    api: &ClientsApi,
    request: Request<pb::CreateContactRequest>,
) -> Answer<pb::CreateContactResponse> {
    let repo = &api.repo;
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let request_id = optional_uuid(&req.request_id, "request_id", &mut v);
    let Some(input) = &req.contact else {
        return Err(required("contact"));
    };
    if !input.id.is_empty() {
        v.push(("contact.id".into(), "is assigned by the service".into()));
    }
    let client_id = uuid_field(&input.client_id, "contact.client_id", &mut v);
    let data = contact::validate(contact_data_from_proto(input), "contact")
        .map_err(|mut more| v.append(&mut more))
        .ok();
    invalid(v)?;
    let (Some(client_id), Some(data)) = (client_id, data) else {
        return Err(required("contact"));
    };
    let contact = repo
        .create_contact(
            tenant,
            client_id,
            data,
            request_id,
            api.remote.scope(ctx).await?,
        )
        .await?;
    tracing::info!(contact_id = %contact.id, client_id = %client_id, "contact created");
    Ok(Response::new(pb::CreateContactResponse {
        contact: Some(contact_to_proto(&contact)),
    }))
}

/// Returns a contact.
pub async fn get(
    api: &ClientsApi,
    request: Request<pb::GetContactRequest>,
) -> Answer<pb::GetContactResponse> {
    let repo = &api.repo;
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let id = required_id(&request.get_ref().contact_id, "contact_id")?;
    let contact = repo
        .get_contact(tenant, id, api.remote.scope(ctx).await?)
        .await?;
    Ok(Response::new(pb::GetContactResponse {
        contact: Some(contact_to_proto(&contact)),
    }))
}

/// Changes the fields of a contact named by the mask.
pub async fn update(
    api: &ClientsApi,
    request: Request<pb::UpdateContactRequest>,
) -> Answer<pb::UpdateContactResponse> {
    let repo = &api.repo;
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let req = request.get_ref();
    let Some(input) = &req.contact else {
        return Err(required("contact"));
    };
    let mut v = Violations::new();
    let id = uuid_field(&input.id, "contact.id", &mut v);
    let paths = match &req.update_mask {
        Some(mask) if !mask.paths.is_empty() => mask.paths.clone(),
        _ => contact_implicit_mask(input),
    };
    if paths.is_empty() {
        v.push(("update_mask".into(), "names no field to update".into()));
    }
    // Unknown paths are the caller's mistake whatever the stored contact holds: report
    // them with the other violations before reading it.
    apply_contact_mask(&ContactData::default(), input, &paths, &mut v);
    invalid(v)?;
    let Some(id) = id else {
        return Err(required("contact.id"));
    };
    let contact = repo
        .update_contact(
            tenant,
            id,
            api.remote.scope(ctx).await?,
            input.version,
            |current| {
                let mut v = Violations::new();
                let data = apply_contact_mask(&current.data, input, &paths, &mut v);
                invalid(v)?;
                contact::validate(data, "contact").map_err(Error::InvalidArgument)
            },
        )
        .await?;
    Ok(Response::new(pb::UpdateContactResponse {
        contact: Some(contact_to_proto(&contact)),
    }))
}

/// Lists a client's contacts in the order they were added.
pub async fn list(
    api: &ClientsApi,
    request: Request<pb::ListContactsRequest>,
) -> Answer<pb::ListContactsResponse> {
    let repo = &api.repo;
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let client_id = uuid_field(&req.client_id, "client_id", &mut v);
    let page = page(
        req.page_size,
        &req.page_token,
        &["contacts", &req.client_id],
        &mut v,
    );
    invalid(v)?;
    let Some(client_id) = client_id else {
        return Err(required("client_id"));
    };
    let (contacts, more) = repo
        .list_contacts(
            tenant,
            client_id,
            api.remote.scope(ctx).await?,
            page.after,
            page.size,
        )
        .await?;
    Ok(Response::new(pb::ListContactsResponse {
        next_page_token: next_page_token(more, contacts.last().map(|c| c.id), page.fingerprint),
        contacts: contacts.iter().map(contact_to_proto).collect(),
    }))
}

/// Deletes a contact.
pub async fn delete(
    api: &ClientsApi,
    request: Request<pb::DeleteContactRequest>,
) -> Answer<pb::DeleteContactResponse> {
    let repo = &api.repo;
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let req = request.get_ref();
    let id = required_id(&req.contact_id, "contact_id")?;
    repo.delete_contact(tenant, id, api.remote.scope(ctx).await?, req.version)
        .await?;
    tracing::info!(contact_id = %id, "contact deleted");
    Ok(Response::new(pb::DeleteContactResponse {}))
}
