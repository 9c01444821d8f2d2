//! What clients asks other services, over internal calls carrying the caller's
//! deadline: the caller's team (commerciaux, through [`crm_kit::team::Teams`]), whether
//! a sales agent exists and is active (commerciaux.GetCommercial) and whether a client
//! has a contract in force (contrats.ListContractsByClient). All are idempotent reads,
//! retried once on UNAVAILABLE; a service that stays down makes the RPC UNAVAILABLE
//! before anything is written.

use std::collections::HashMap;

use crm_kit::RequestContext;
use crm_kit::auth::MeshKey;
use crm_kit::client::{Downstream, OnBehalfOf, read};
use crm_kit::config::KitConfig;
use crm_kit::team::Teams;
use crm_proto::commerciaux::v1 as commerciaux;
use crm_proto::commerciaux::v1::commercial_service_client::CommercialServiceClient;
use crm_proto::contrats::v1 as contrats;
use crm_proto::contrats::v1::contract_service_client::ContractServiceClient;
use futures::future::try_join_all;
use tonic::Status;
use uuid::Uuid;

use crate::domain::Visibility;
use crate::error::Error;

/// Why a sales agent cannot be given a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    /// No such sales agent in the caller's organisation.
    Unknown,
    /// The sales agent was deactivated.
    Inactive,
}

impl Unusable {
    /// Returns the violation's description.
    pub fn describe(self) -> &'static str {
        match self {
            Unusable::Unknown => "no such sales agent in the organisation",
            Unusable::Inactive => "the sales agent is not active",
        }
    }
}

/// The services clients reads.
#[derive(Debug, Clone)]
pub struct Remote {
    teams: Teams,
    commerciaux: Downstream,
    contrats: Downstream,
}

impl Remote {
    /// Returns the reader, with the services' addresses from `config`
    /// (`services.commerciaux`, `services.contrats`).
    pub fn new(config: &KitConfig, mesh: &MeshKey) -> Result<Self, Status> {
        let downstream =
            |target| Downstream::lazy("clients", target, &config.service_url(target), mesh.clone());
        Ok(Self {
            teams: Teams::new("clients", config, mesh)?,
            commerciaux: downstream("commerciaux")?,
            contrats: downstream("contrats")?,
        })
    }

    /// Returns which clients the caller may see.
    pub async fn scope(&self, ctx: &RequestContext) -> Result<Visibility, Error> {
        Ok(self.teams.scope(ctx).await?)
    }

    /// Returns, for each of `ids` that cannot be given clients, why; reads each once,
    /// concurrently.
    pub async fn unusable_commercials(
        &self,
        ctx: &RequestContext,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Unusable>, Error> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let d = &self.commerciaux;
        let found = try_join_all(ids.iter().map(|id| async move {
            let message = commerciaux::GetCommercialRequest {
                commercial_id: id.to_string(),
            };
            let found = read(ctx, d.target(), || async {
                let request = d.request(ctx, message.clone())?;
                CommercialServiceClient::new(d.channel())
                    .get_commercial(request)
                    .await
                    .map(|r| r.into_inner().commercial)
            })
            .await?;
            let problem = match found.flatten() {
                None => Some(Unusable::Unknown),
                Some(c) if c.status != commerciaux::CommercialStatus::Active as i32 => {
                    Some(Unusable::Inactive)
                }
                Some(_) => None,
            };
            Ok::<_, Error>(problem.map(|p| (*id, p)))
        }))
        .await?;
        Ok(found.into_iter().flatten().collect())
    }

    /// Checks the sales agent named in `field` can be given clients: NOT_FOUND with the
    /// field in a BadRequest when unknown, INVALID_ARGUMENT when deactivated.
    pub async fn check_commercial(
        &self,
        ctx: &RequestContext,
        field: &str,
        id: Uuid,
    ) -> Result<(), Error> {
        match self.unusable_commercials(ctx, &[id]).await?.get(&id) {
            None => Ok(()),
            Some(Unusable::Unknown) => Err(Error::UnknownReference(vec![(
                field.to_owned(),
                Unusable::Unknown.describe().into(),
            )])),
            Some(Unusable::Inactive) => Err(Error::InvalidArgument(vec![(
                field.to_owned(),
                Unusable::Inactive.describe().into(),
            )])),
        }
    }

    /// Returns whether the client has a contract in force (active or suspended). Asked
    /// for the organisation as a whole, whatever contracts the caller may see.
    pub async fn has_contract_in_force(
        &self,
        ctx: &RequestContext,
        client: Uuid,
    ) -> Result<bool, Error> {
        let d = &self.contrats;
        let organisation = OnBehalfOf {
            organisation_id: ctx.organisation_id,
            user_id: ctx.user_id().ok(),
            role: Some(crm_kit::Role::Admin),
            commercial_id: None,
        };
        let statuses = [
            contrats::ContractStatus::Active,
            contrats::ContractStatus::Suspended,
        ];
        let found = try_join_all(statuses.iter().map(|status| {
            let message = contrats::ListContractsByClientRequest {
                client_id: client.to_string(),
                page_size: 1,
                page_token: String::new(),
                status: *status as i32,
            };
            async move {
                let page = read(ctx, d.target(), || async {
                    let request = d.request_as(ctx, organisation, message.clone())?;
                    ContractServiceClient::new(d.channel())
                        .list_contracts_by_client(request)
                        .await
                        .map(|r| r.into_inner().contracts)
                })
                .await?;
                Ok::<_, Error>(page.is_some_and(|contracts| !contracts.is_empty()))
            }
        }))
        .await?;
        Ok(found.into_iter().any(|in_force| in_force))
    }
}
