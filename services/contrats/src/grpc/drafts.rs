//! CreateContract, UpdateContract and the lists.

use crm_db::Tenant;
use crm_kit::{RequestContext, Role};
use crm_proto::contrats::v1 as pb;

use super::{ContractsApi, actor, invalid, today};
use crate::convert::input::{self, DraftInput};
use crate::convert::{Violations, contract_to_proto, optional_uuid, status_from_proto, uuid_field};
use crate::domain::lifecycle::{Action, transition};
use crate::domain::pricing::{self, check_client, check_commercial};
use crate::domain::{Contract, PaymentMethod, Visibility};
use crate::error::Error;
use crate::remote::{Found, Lookup};
use crate::repo::{Expect, ListFilter};

/// The filters and page of a list request.
pub struct ListQuery<'a> {
    pub page_size: i32,
    pub page_token: &'a str,
    pub status: i32,
    pub client_id: &'a str,
    pub commercial_id: &'a str,
}

/// Records the problems of the client and the agent that were looked up, at
/// `<prefix>.client_id` and `<prefix>.commercial_id`.
fn check_people(found: &Found, prefix: &str, v: &mut Violations) {
    if let Some(client) = &found.client {
        check_client(client.as_ref(), &format!("{prefix}client_id"), v);
    }
    if let Some(commercial) = &found.commercial {
        check_commercial(commercial.as_ref(), &format!("{prefix}commercial_id"), v);
    }
}

// Unreachable once the violations are empty: every field that fails to parse records one.
fn incomplete() -> Error {
    Error::InvalidArgument(vec![("contract".into(), "is incomplete".into())])
}

/// Checks the caller keeps sight of the contract: an agent makes contracts of their
/// own, a manager of their team's.
fn check_agent(scope: &Visibility, parsed: &DraftInput) -> Result<(), Error> {
    match parsed.commercial_id {
        Some(commercial) if !scope.allows(Some(commercial)) => Err(Error::PermissionDenied(
            "an agent may only make contracts of their own, a manager of their team's".into(),
        )),
        _ => Ok(()),
    }
}

impl ContractsApi {
    pub(super) async fn create(
        &self,
        ctx: &RequestContext,
        tenant: Tenant,
        req: &pb::CreateContractRequest,
    ) -> Result<Contract, Error> {
        let mut v = Violations::new();
        let request_id = optional_uuid(&req.request_id, "request_id", &mut v);
        let Some(input) = &req.contract else {
            return Err(Error::InvalidArgument(vec![(
                "contract".into(),
                "is required".into(),
            )]));
        };
        if !input.id.is_empty() {
            v.push(("contract.id".into(), "is assigned by the service".into()));
        }
        let mut input = input.clone();
        // An agent's or manager's new contract is theirs unless they say otherwise.
        if matches!(ctx.role, Some(Role::Agent | Role::Manager))
            && input.commercial_id.trim().is_empty()
            && let Some(me) = ctx.commercial_id
        {
            input.commercial_id = me.to_string();
        }
        let parsed = input::draft(&input, "contract", &mut v);
        check_agent(&self.visibility(ctx).await?, &parsed)?;
        // A retry returns the first contract without asking the other services again.
        if let Some(request_id) = request_id
            && let Some(earlier) = self.repo.by_request(tenant, request_id).await?
        {
            return Ok(earlier);
        }
        let lookup = Lookup {
            client: parsed.client_id,
            commercial: parsed.commercial_id,
            products: parsed.lines.iter().map(|l| l.product_id).collect(),
            price_on: None,
            mandate: None,
        };
        let found = self.remote.look_up(ctx, &lookup).await?;
        check_people(&found, "contract.", &mut v);
        let lines = pricing::price_lines(
            &parsed.lines,
            &found.products,
            &[],
            today(),
            "contract.lines",
            &mut v,
        );
        invalid(v)?;
        let draft = parsed.complete().ok_or_else(incomplete)?;
        self.repo
            .create(tenant, draft.priced(lines), request_id, &actor(ctx))
            .await
    }

    pub(super) async fn update(
        &self,
        ctx: &RequestContext,
        tenant: Tenant,
        req: &pb::UpdateContractRequest,
    ) -> Result<Contract, Error> {
        let Some(incoming) = &req.contract else {
            return Err(Error::InvalidArgument(vec![(
                "contract".into(),
                "is required".into(),
            )]));
        };
        let mut v = Violations::new();
        let id = uuid_field(&incoming.id, "contract.id", &mut v);
        let paths = match &req.update_mask {
            Some(mask) if !mask.paths.is_empty() => mask.paths.clone(),
            _ => input::implicit_mask(incoming),
        };
        if paths.is_empty() {
            v.push(("update_mask".into(), "names no field to update".into()));
        }
        let Some(id) = id else {
            return Err(Error::InvalidArgument(v));
        };
        invalid(v)?;
        let vis = self.visibility(ctx).await?;
        let current = self.repo.get(tenant, id, vis.clone()).await?;
        if incoming.version != 0 && incoming.version != current.version {
            return Err(Error::VersionMismatch {
                id,
                expected: incoming.version,
                current: current.version,
            });
        }
        // A wrong status is answered before asking other services anything.
        transition(current.status, Action::Update)?;
        let named = |name: &str| paths.iter().any(|p| p == name);
        let mut merged = contract_to_proto(&current);
        let mut v = Violations::new();
        input::apply_mask(&mut merged, incoming, &paths, &mut v);
        // Leaving SEPA drops the mandate reference unless the update sets one.
        if named("payment_method")
            && !named("mandate_reference")
            && merged.payment_method != crate::convert::payment_method_value(PaymentMethod::Sepa)
        {
            merged.mandate_reference.clear();
        }
        let parsed = input::draft(&merged, "contract", &mut v);
        if parsed.commercial_id != Some(current.terms.commercial_id) {
            check_agent(&vis, &parsed)?;
        }
        let lines_changed = named("lines");
        let lookup = Lookup {
            client: parsed.client_id.filter(|c| *c != current.terms.client_id),
            commercial: parsed
                .commercial_id
                .filter(|c| *c != current.terms.commercial_id),
            products: if lines_changed {
                parsed.lines.iter().map(|l| l.product_id).collect()
            } else {
                Vec::new()
            },
            price_on: None,
            mandate: None,
        };
        let found = self.remote.look_up(ctx, &lookup).await?;
        check_people(&found, "contract.", &mut v);
        let lines = if lines_changed {
            pricing::price_lines(
                &parsed.lines,
                &found.products,
                &[],
                today(),
                "contract.lines",
                &mut v,
            )
        } else {
            current.terms.lines.clone()
        };
        invalid(v)?;
        let draft = parsed.complete().ok_or_else(incomplete)?;
        let expect = Expect {
            caller: incoming.version,
            snapshot: Some(current.version),
        };
        self.repo
            .update(
                tenant,
                id,
                vis,
                expect,
                |c| {
                    transition(c.status, Action::Update)?;
                    let mut next = c.clone();
                    next.terms = draft.priced(lines);
                    Ok(next)
                },
                // No event type exists for a draft's edits (spec/events.md).
                |_, _| None,
            )
            .await
    }

    pub(super) async fn list(
        &self,
        ctx: &RequestContext,
        tenant: Tenant,
        q: ListQuery<'_>,
    ) -> Result<(Vec<pb::Contract>, String), Error> {
        let mut v = Violations::new();
        let size = crm_db::page_size(q.page_size)
            .map_err(|e| v.push(("page_size".into(), e.to_string())))
            .ok();
        let status = if q.status == 0 {
            None
        } else {
            let s = status_from_proto(q.status);
            if s.is_none() {
                v.push(("status".into(), "is not a known status".into()));
            }
            s
        };
        let filter = ListFilter {
            status,
            client_id: optional_uuid(q.client_id, "client_id", &mut v),
            commercial_id: optional_uuid(q.commercial_id, "commercial_id", &mut v),
        };
        let fingerprint = crm_db::page::fingerprint(&[
            &q.status.to_string(),
            q.client_id.trim(),
            q.commercial_id.trim(),
        ]);
        let after = crm_db::PageToken::decode(q.page_token, fingerprint)
            .map_err(|e| v.push(("page_token".into(), e.to_string())))
            .ok()
            .flatten();
        invalid(v)?;
        let size = size.unwrap_or(crm_db::page::DEFAULT_PAGE_SIZE);
        let (contracts, more) = self
            .repo
            .list(
                tenant,
                &filter,
                self.visibility(ctx).await?,
                after.map(|t| t.after),
                size,
            )
            .await?;
        let next_page_token = match (more, contracts.last()) {
            (true, Some(last)) => crm_db::PageToken {
                after: last.id,
                filters: fingerprint,
            }
            .encode(),
            _ => String::new(),
        };
        Ok((
            contracts.iter().map(contract_to_proto).collect(),
            next_page_token,
        ))
    }
}
