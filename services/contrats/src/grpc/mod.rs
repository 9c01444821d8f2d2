//! The tonic implementation of `crm.contrats.v1.ContractService`: decode, authorise,
//! check references in other services, call the domain and the store, encode. The trait
//! methods only unwrap the context; the work is in [`drafts`] (create, read, update,
//! list), [`lifecycle`] (the custom methods) and [`amend`].

use chrono::{NaiveDate, Utc};
use crm_kit::RequestContext;
use crm_proto::contrats::v1 as pb;
use crm_proto::contrats::v1::contract_service_server::ContractService;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::convert::{Violations, contract_to_proto, date_from_proto, uuid_field};
use crate::domain::{Contract, Visibility};
use crate::error::Error;
use crate::events::Actor;
use crate::remote::Remote;
use crate::repo::Repo;

mod amend;
mod drafts;
mod lifecycle;

/// The contracts API.
#[derive(Debug, Clone)]
pub struct ContractsApi {
    repo: Repo,
    remote: Remote,
}

impl ContractsApi {
    /// Returns the API over `repo`, reading references through `remote`.
    pub fn new(repo: Repo, remote: Remote) -> Self {
        Self { repo, remote }
    }
}

/// Returns who is acting, for the events' metadata.
fn actor(ctx: &RequestContext) -> Actor {
    Actor {
        user_id: ctx.user_id().ok(),
        traceparent: ctx.traceparent.clone(),
    }
}

impl ContractsApi {
    /// Returns which contracts the caller may see and act on: agents their own,
    /// managers their team's (read from commerciaux), the other roles all.
    async fn visibility(&self, ctx: &RequestContext) -> Result<Visibility, Error> {
        Ok(self.remote.teams().scope(ctx).await?)
    }
}

/// Returns today's date (UTC), the date of signatures and suspensions left unset.
fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Returns the last date that is today somewhere: the date at UTC+14, the first time
/// zone to begin a day. A signature, suspension, resumption or renunciation dated after
/// it is in the future wherever the organisation is; contrats does not know the
/// organisation's time zone, so a date that is today there (Paris is a day ahead of UTC
/// between midnight and 1 or 2 o'clock) is never refused as future.
fn latest_today() -> NaiveDate {
    (Utc::now() + chrono::Duration::hours(14)).date_naive()
}

fn invalid(v: Violations) -> Result<(), Error> {
    if v.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidArgument(v))
    }
}

/// Returns the id in `text`, or INVALID_ARGUMENT naming `field`.
fn id_of(text: &str, field: &str) -> Result<Uuid, Error> {
    let mut v = Violations::new();
    uuid_field(text, field, &mut v).ok_or(Error::InvalidArgument(v))
}

/// Returns the date of an optional field, `default` when unset.
fn date_or(
    d: Option<&crm_proto::common::v1::Date>,
    default: NaiveDate,
    field: &str,
    v: &mut Violations,
) -> Option<NaiveDate> {
    match d {
        Some(d) => date_from_proto(d, field, v),
        None => Some(default),
    }
}

/// Returns the effective date of a suspension or resumption: the one given, else today.
fn effective_date(
    d: Option<&crm_proto::common::v1::Date>,
    v: &mut Violations,
) -> Option<NaiveDate> {
    date_or(d, today(), "effective_date", v)
}

fn reply(c: &Contract) -> Option<pb::Contract> {
    Some(contract_to_proto(c))
}

#[tonic::async_trait]
impl ContractService for ContractsApi {
    async fn create_contract(
        &self,
        request: Request<pb::CreateContractRequest>,
    ) -> Result<Response<pb::CreateContractResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let c = self.create(ctx, ctx.tenant()?, request.get_ref()).await?;
        tracing::info!(contract_id = %c.id, number = %c.number, "contract created");
        Ok(Response::new(pb::CreateContractResponse {
            contract: reply(&c),
        }))
    }

    async fn get_contract(
        &self,
        request: Request<pb::GetContractRequest>,
    ) -> Result<Response<pb::GetContractResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let id = id_of(&request.get_ref().contract_id, "contract_id")?;
        let c = self
            .repo
            .get(ctx.tenant()?, id, self.visibility(ctx).await?)
            .await?;
        Ok(Response::new(pb::GetContractResponse {
            contract: reply(&c),
        }))
    }

    async fn update_contract(
        &self,
        request: Request<pb::UpdateContractRequest>,
    ) -> Result<Response<pb::UpdateContractResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let c = self.update(ctx, ctx.tenant()?, request.get_ref()).await?;
        Ok(Response::new(pb::UpdateContractResponse {
            contract: reply(&c),
        }))
    }

    async fn list_contracts(
        &self,
        request: Request<pb::ListContractsRequest>,
    ) -> Result<Response<pb::ListContractsResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let r = request.get_ref();
        let query = drafts::ListQuery {
            page_size: r.page_size,
            page_token: &r.page_token,
            status: r.status,
            client_id: &r.client_id,
            commercial_id: &r.commercial_id,
        };
        let (contracts, next_page_token) = self.list(ctx, ctx.tenant()?, query).await?;
        Ok(Response::new(pb::ListContractsResponse {
            contracts,
            next_page_token,
        }))
    }

    async fn list_contracts_by_client(
        &self,
        request: Request<pb::ListContractsByClientRequest>,
    ) -> Result<Response<pb::ListContractsByClientResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let r = request.get_ref();
        // The client is required here: an empty one is a violation, not "every client".
        id_of(&r.client_id, "client_id")?;
        let query = drafts::ListQuery {
            page_size: r.page_size,
            page_token: &r.page_token,
            status: r.status,
            client_id: &r.client_id,
            commercial_id: "",
        };
        let (contracts, next_page_token) = self.list(ctx, ctx.tenant()?, query).await?;
        Ok(Response::new(pb::ListContractsByClientResponse {
            contracts,
            next_page_token,
        }))
    }

    async fn send_for_signature(
        &self,
        request: Request<pb::SendForSignatureRequest>,
    ) -> Result<Response<pb::SendForSignatureResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let c = self
            .send_for_signature(ctx, ctx.tenant()?, request.get_ref())
            .await?;
        Ok(Response::new(pb::SendForSignatureResponse {
            contract: reply(&c),
        }))
    }

    async fn sign_contract(
        &self,
        request: Request<pb::SignContractRequest>,
    ) -> Result<Response<pb::SignContractResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let c = self.sign(ctx, ctx.tenant()?, request.get_ref()).await?;
        tracing::info!(contract_id = %c.id, "contract signed");
        Ok(Response::new(pb::SignContractResponse {
            contract: reply(&c),
        }))
    }

    async fn suspend_contract(
        &self,
        request: Request<pb::SuspendContractRequest>,
    ) -> Result<Response<pb::SuspendContractResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let c = self.suspend(ctx, ctx.tenant()?, request.get_ref()).await?;
        Ok(Response::new(pb::SuspendContractResponse {
            contract: reply(&c),
        }))
    }

    async fn resume_contract(
        &self,
        request: Request<pb::ResumeContractRequest>,
    ) -> Result<Response<pb::ResumeContractResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let c = self.resume(ctx, ctx.tenant()?, request.get_ref()).await?;
        Ok(Response::new(pb::ResumeContractResponse {
            contract: reply(&c),
        }))
    }

    async fn terminate_contract(
        &self,
        request: Request<pb::TerminateContractRequest>,
    ) -> Result<Response<pb::TerminateContractResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let c = self
            .terminate(ctx, ctx.tenant()?, request.get_ref())
            .await?;
        tracing::info!(contract_id = %c.id, "contract terminated");
        Ok(Response::new(pb::TerminateContractResponse {
            contract: reply(&c),
        }))
    }

    async fn cancel_contract(
        &self,
        request: Request<pb::CancelContractRequest>,
    ) -> Result<Response<pb::CancelContractResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let c = self.cancel(ctx, ctx.tenant()?, request.get_ref()).await?;
        Ok(Response::new(pb::CancelContractResponse {
            contract: reply(&c),
        }))
    }

    async fn amend_contract(
        &self,
        request: Request<pb::AmendContractRequest>,
    ) -> Result<Response<pb::AmendContractResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let c = self.amend(ctx, ctx.tenant()?, request.get_ref()).await?;
        let amendment = c.amendments.last().map(crate::convert::amendment_to_proto);
        Ok(Response::new(pb::AmendContractResponse {
            contract: reply(&c),
            amendment,
        }))
    }
}

#[cfg(test)]
mod tests {
    use chrono::{FixedOffset, Utc};

    use super::latest_today;

    #[test]
    fn today_anywhere_is_never_after_the_latest_today() {
        for hours in -12..=14 {
            let zone = FixedOffset::east_opt(hours * 3600).expect("offset");
            let there = Utc::now().with_timezone(&zone).date_naive();
            assert!(there <= latest_today(), "UTC{hours:+}: {there}");
        }
    }
}
