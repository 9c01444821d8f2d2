//! FindDuplicates and MergeClients.

use std::collections::HashSet;

use crm_proto::clients::v1 as pb;
use crm_proto::clients::v1::find_duplicates_request::Target;
use crm_shared::validate::{validate_email, validate_siret};
use tonic::{Request, Response};

use super::{Answer, ClientsApi, actor, invalid, next_page_token, page, required};
use crate::convert::{
    Violations, client_into_proto, client_to_proto, date_from_proto, kind_from_proto,
    reason_to_proto, uuid_field,
};
use crate::domain::Kind;
use crate::domain::duplicates::{Keys, normalise_name};
use crate::repo::DuplicateTarget;

/// Most duplicates one merge takes.
const MAX_DUPLICATES: usize = 50;

/// Returns the keys of a candidate client, recording malformed fields under
/// "candidate".
fn candidate_keys(c: &pb::Client, v: &mut Violations) -> Keys {
    let mut keys = Keys::default();
    let email = c.email.trim();
    if !email.is_empty() {
        match validate_email(email) {
            Ok(e) => keys.email_key = Some(e.as_str().to_lowercase()),
            Err(e) => v.push(("candidate.email".into(), e.to_string())),
        }
    }
    let siret = c.siret.trim();
    if !siret.is_empty() {
        match validate_siret(siret) {
            Ok(s) => keys.siret = Some(s.as_str().to_owned()),
            Err(e) => v.push(("candidate.siret".into(), e.to_string())),
        }
    }
    // Without a kind, a candidate with a company name is a company.
    let kind = kind_from_proto(c.kind).unwrap_or(if c.company_name.trim().is_empty() {
        Kind::Person
    } else {
        Kind::Company
    });
    if kind == Kind::Person {
        let name = normalise_name(&format!("{} {}", c.first_name, c.last_name));
        keys.name_key = (!name.is_empty()).then_some(name);
        keys.birth_date = c
            .birth_date
            .as_ref()
            .and_then(|d| date_from_proto(d, "candidate.birth_date", v));
    }
    keys
}

/// Finds the live clients that look like duplicates of a client or a candidate.
pub async fn find(
    api: &ClientsApi,
    request: Request<pb::FindDuplicatesRequest>,
) -> Answer<pb::FindDuplicatesResponse> {
    let repo = &api.repo;
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let (target, bound_to) = match &req.target {
        Some(Target::ClientId(id)) => (
            uuid_field(id, "client_id", &mut v).map(DuplicateTarget::Client),
            id.clone(),
        ),
        Some(Target::Candidate(c)) => {
            let keys = candidate_keys(c, &mut v);
            if keys.is_empty() && v.is_empty() {
                v.push((
                    "candidate".into(),
                    "needs an e-mail, a SIRET, or a person's name and birth date".into(),
                ));
            }
            let bound = format!("{keys:?}");
            (Some(DuplicateTarget::Candidate(keys)), bound)
        }
        None => {
            v.push(("client_id".into(), "give client_id or candidate".into()));
            (None, String::new())
        }
    };
    let page = page(
        req.page_size,
        &req.page_token,
        &["duplicates", &bound_to],
        &mut v,
    );
    invalid(v)?;
    let Some(target) = target else {
        return Err(required("client_id"));
    };
    let (found, more) = repo
        .find_duplicates(
            tenant,
            target,
            api.remote.scope(ctx).await?,
            page.after,
            page.size,
        )
        .await?;
    Ok(Response::new(pb::FindDuplicatesResponse {
        next_page_token: next_page_token(more, found.last().map(|(c, _)| c.id), page.fingerprint),
        matches: found
            .iter()
            .map(|(client, reasons)| pb::DuplicateMatch {
                client: Some(client_to_proto(client)),
                reasons: reasons.iter().map(|r| reason_to_proto(*r) as i32).collect(),
            })
            .collect(),
    }))
}

/// Merges duplicates into a surviving client.
pub async fn merge(
    api: &ClientsApi,
    request: Request<pb::MergeClientsRequest>,
) -> Answer<pb::MergeClientsResponse> {
    let repo = &api.repo;
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let survivor = uuid_field(&req.survivor_id, "survivor_id", &mut v);
    if req.duplicate_ids.is_empty() {
        v.push(("duplicate_ids".into(), "name at least one client".into()));
    }
    if req.duplicate_ids.len() > MAX_DUPLICATES {
        v.push((
            "duplicate_ids".into(),
            format!("at most {MAX_DUPLICATES} clients per merge"),
        ));
    }
    let mut duplicates = Vec::with_capacity(req.duplicate_ids.len());
    let mut seen = HashSet::new();
    for (i, text) in req.duplicate_ids.iter().enumerate() {
        let field = format!("duplicate_ids[{i}]");
        let Some(id) = uuid_field(text, &field, &mut v) else {
            continue;
        };
        if Some(id) == survivor {
            v.push((field, "a client cannot be merged into itself".into()));
        } else if !seen.insert(id) {
            v.push((field, "is listed twice".into()));
        } else {
            duplicates.push(id);
        }
    }
    invalid(v)?;
    let Some(survivor) = survivor else {
        return Err(required("survivor_id"));
    };
    let outcome = repo
        .merge(
            tenant,
            survivor,
            &duplicates,
            req.survivor_version,
            api.remote.scope(ctx).await?,
            &actor(ctx),
        )
        .await?;
    tracing::info!(client_id = %survivor, merged = outcome.merged.len(), "clients merged");
    Ok(Response::new(pb::MergeClientsResponse {
        merged_client_ids: outcome.merged.iter().map(|id| id.to_string()).collect(),
        moved_contacts: i32::try_from(outcome.moved_contacts).unwrap_or(i32::MAX),
        moved_opportunities: i32::try_from(outcome.moved_opportunities).unwrap_or(i32::MAX),
        client: Some(client_into_proto(outcome.client)),
    }))
}
