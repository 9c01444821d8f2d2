//! What factures reads from other services, always for the organisation as a whole
//! (internal token for the caller's organisation with an admin role, so an invoice's
//! facts do not depend on who asks): the organisation's identity and invoicing settings
//! (organisations.GetOrganisation), clients (clients.GetClient, or clients.ExportClients
//! for a billing run), contracts (contrats.GetContract and ListContracts), VAT and ECB
//! rates (referentiel). Every call carries what remains of the caller's deadline; reads
//! are retried once on UNAVAILABLE; a service that stays down makes the RPC UNAVAILABLE
//! before anything is written. Organisation settings read (all optional):
//! `address_line1`, `address_line2`, `postal_code`, `city`, `region`,
//! `address_country_code`, `vat_number`, `legal_form`, `share_capital`, `rcs`,
//! `payment_terms_days`, `early_payment_discount`, `credit_note_prefix`.

use std::collections::HashMap;
use std::time::Instant;

use chrono::NaiveDate;
use crm_kit::auth::MeshKey;
use crm_kit::auth::context::Principal;
use crm_kit::client::{Downstream, OnBehalfOf, ReadError, read};
use crm_kit::config::KitConfig;
use crm_kit::team::Teams;
use crm_kit::{RequestContext, Role};
use crm_proto::clients::v1 as clients;
use crm_proto::clients::v1::client_service_client::ClientServiceClient;
use crm_proto::contrats::v1 as contrats;
use crm_proto::contrats::v1::contract_service_client::ContractServiceClient;
use crm_proto::organisations::v1 as organisations;
use crm_proto::organisations::v1::organisation_service_client::OrganisationServiceClient;
use crm_proto::referentiel::v1 as referentiel;
use crm_proto::referentiel::v1::referentiel_service_client::ReferentielServiceClient;
use tonic::Status;
use uuid::Uuid;

use crate::convert::date_to_proto;
use crate::domain::issue::Policy;
use crate::domain::{Buyer, Seller, VatCategory, Visibility};
use crate::error::Error;

mod facts;

use facts::{client_facts, org_facts};

/// What an organisation's invoices need from it.
#[derive(Debug, Clone)]
pub struct OrgFacts {
    /// Its identity as printed.
    pub seller: Seller,
    /// Its country, for VAT rates.
    pub country: String,
    /// Its time zone, for "today".
    pub time_zone: chrono_tz::Tz,
    /// The invoice series.
    pub invoice_prefix: String,
    /// The credit-note series.
    pub credit_note_prefix: String,
    /// Payment terms and discount.
    pub policy: Policy,
}

impl OrgFacts {
    /// Returns today's date in the organisation's time zone: the issue date.
    pub fn today(&self) -> NaiveDate {
        chrono::Utc::now()
            .with_timezone(&self.time_zone)
            .date_naive()
    }
}

/// What an invoice needs from a client.
#[derive(Debug, Clone)]
pub struct ClientFacts {
    /// Its identity as printed.
    pub buyer: Buyer,
    /// The sales agent it is assigned to.
    pub commercial_id: Option<Uuid>,
}

/// The services factures reads.
#[derive(Debug, Clone)]
pub struct Remote {
    organisations: Downstream,
    clients: Downstream,
    contrats: Downstream,
    referentiel: Downstream,
    teams: Teams,
}

/// Returns a context for work done for `organisation` outside any request (events):
/// the mesh acting as an admin, with [`crm_kit::client::BACKGROUND_TIMEOUT`].
pub fn system_context(organisation: Uuid, traceparent: Option<String>) -> RequestContext {
    RequestContext {
        principal: Principal::Service {
            name: crate::SPEC.name.to_owned(),
            on_behalf_of: None,
        },
        organisation_id: Some(organisation),
        role: Some(Role::Admin),
        commercial_id: None,
        deadline: Some(Instant::now() + crm_kit::client::BACKGROUND_TIMEOUT),
        traceparent,
    }
}

fn as_organisation(ctx: &RequestContext) -> OnBehalfOf {
    OnBehalfOf {
        organisation_id: ctx.organisation_id,
        user_id: ctx.user_id().ok(),
        role: Some(Role::Admin),
        commercial_id: None,
    }
}

fn unavailable(service: &'static str, status: &Status) -> ReadError {
    ReadError::Unavailable {
        service,
        message: format!("{:?}: {}", status.code(), status.message()),
    }
}

impl Remote {
    /// Returns the reader, with the services' addresses from `config`
    /// (`services.organisations`, `services.clients`, `services.contrats`,
    /// `services.referentiel`, and `services.commerciaux` for managers' teams).
    pub fn new(config: &KitConfig, mesh: &MeshKey) -> Result<Self, Status> {
        let caller = crate::SPEC.name;
        let downstream =
            |target| Downstream::lazy(caller, target, &config.service_url(target), mesh.clone());
        Ok(Self {
            organisations: downstream("organisations")?,
            clients: downstream("clients")?,
            contrats: downstream("contrats")?,
            referentiel: downstream("referentiel")?,
            teams: Teams::new(caller, config, mesh)?,
        })
    }

    /// Returns which invoices the caller may see: agents those of their clients,
    /// managers their team's, the other roles and the mesh all.
    pub async fn visibility(&self, ctx: &RequestContext) -> Result<Visibility, Error> {
        if ctx.calling_service().is_some() {
            return Ok(Visibility::All);
        }
        Ok(self.teams.scope(ctx).await?)
    }

    /// Returns the caller's organisation's facts; `None` when organisations does not
    /// know it.
    pub async fn organisation(&self, ctx: &RequestContext) -> Result<Option<OrgFacts>, Error> {
        let d = &self.organisations;
        let message = organisations::GetOrganisationRequest {
            organisation_id: ctx
                .organisation_id
                .map(|o| o.to_string())
                .unwrap_or_default(),
        };
        let found = read(ctx, d.target(), || async {
            let request = d.request_as(ctx, as_organisation(ctx), message.clone())?;
            OrganisationServiceClient::new(d.channel())
                .get_organisation(request)
                .await
                .map(|r| r.into_inner().organisation)
        })
        .await?;
        Ok(found.flatten().map(org_facts))
    }

    /// Returns a client of the caller's organisation; `None` when unknown.
    pub async fn client(
        &self,
        ctx: &RequestContext,
        id: Uuid,
    ) -> Result<Option<ClientFacts>, Error> {
        let d = &self.clients;
        let message = clients::GetClientRequest {
            client_id: id.to_string(),
        };
        let found = read(ctx, d.target(), || async {
            let request = d.request_as(ctx, as_organisation(ctx), message.clone())?;
            ClientServiceClient::new(d.channel())
                .get_client(request)
                .await
                .map(|r| r.into_inner().client)
        })
        .await?;
        Ok(found.flatten().map(|c| client_facts(&c)))
    }

    /// Returns every live client of the caller's organisation, streamed once.
    pub async fn all_clients(
        &self,
        ctx: &RequestContext,
    ) -> Result<HashMap<Uuid, ClientFacts>, Error> {
        let d = &self.clients;
        let request = d
            .request_as(
                ctx,
                as_organisation(ctx),
                clients::ExportClientsRequest::default(),
            )
            .map_err(|s| unavailable(d.target(), &s))?;
        let mut stream = ClientServiceClient::new(d.channel())
            .export_clients(request)
            .await
            .map_err(|s| unavailable(d.target(), &s))?
            .into_inner();
        let mut out = HashMap::new();
        while let Some(message) = stream
            .message()
            .await
            .map_err(|s| unavailable(d.target(), &s))?
        {
            if let Some(c) = message.client
                && let Ok(id) = Uuid::parse_str(&c.id)
            {
                out.insert(id, client_facts(&c));
            }
        }
        Ok(out)
    }

    /// Returns the client of a contract of the caller's organisation; `None` when
    /// unknown.
    pub async fn contract_client(
        &self,
        ctx: &RequestContext,
        id: Uuid,
    ) -> Result<Option<Uuid>, Error> {
        let d = &self.contrats;
        let message = contrats::GetContractRequest {
            contract_id: id.to_string(),
        };
        let found = read(ctx, d.target(), || async {
            let request = d.request_as(ctx, as_organisation(ctx), message.clone())?;
            ContractServiceClient::new(d.channel())
                .get_contract(request)
                .await
                .map(|r| r.into_inner().contract)
        })
        .await?;
        Ok(found
            .flatten()
            .and_then(|c| Uuid::parse_str(&c.client_id).ok()))
    }

    /// Returns a page of 200 active contracts after `page_token`, and the next token.
    pub async fn active_contracts(
        &self,
        ctx: &RequestContext,
        page_token: &str,
    ) -> Result<(Vec<contrats::Contract>, String), Error> {
        let d = &self.contrats;
        let message = contrats::ListContractsRequest {
            page_size: 200,
            page_token: page_token.to_owned(),
            status: contrats::ContractStatus::Active as i32,
            client_id: String::new(),
            commercial_id: String::new(),
        };
        let page = read(ctx, d.target(), || async {
            let request = d.request_as(ctx, as_organisation(ctx), message.clone())?;
            ContractServiceClient::new(d.channel())
                .list_contracts(request)
                .await
                .map(|r| r.into_inner())
        })
        .await?;
        Ok(page.map_or_else(
            || (Vec::new(), String::new()),
            |p| (p.contracts, p.next_page_token),
        ))
    }

    /// Returns the rate of `category` in `country` on `date`, basis points; `None` when
    /// referentiel knows none.
    pub async fn vat_rate(
        &self,
        ctx: &RequestContext,
        country: &str,
        category: VatCategory,
        date: NaiveDate,
    ) -> Result<Option<i32>, Error> {
        let d = &self.referentiel;
        let message = referentiel::GetVatRateRequest {
            country_code: country.to_owned(),
            category: vat_category(category) as i32,
            date: Some(date_to_proto(date)),
        };
        let found = read(ctx, d.target(), || async {
            let request = d.request_as(ctx, as_organisation(ctx), message.clone())?;
            ReferentielServiceClient::new(d.channel())
                .get_vat_rate(request)
                .await
                .map(|r| r.into_inner().vat_rate)
        })
        .await?;
        Ok(found.flatten().and_then(|r| r.rate).map(|p| p.basis_points))
    }

    /// Returns the default B2B late-penalty rate of the half-year of `date` (ECB rate on
    /// 1 January or 1 July plus 10 points), basis points; `None` when unknown.
    pub async fn late_penalty_rate(
        &self,
        ctx: &RequestContext,
        date: NaiveDate,
    ) -> Result<Option<i32>, Error> {
        let d = &self.referentiel;
        let message = referentiel::GetEcbRateRequest {
            date: Some(date_to_proto(date)),
        };
        let found = read(ctx, d.target(), || async {
            let request = d.request_as(ctx, as_organisation(ctx), message)?;
            ReferentielServiceClient::new(d.channel())
                .get_ecb_rate(request)
                .await
                .map(|r| r.into_inner().ecb_rate)
        })
        .await?;
        Ok(found
            .flatten()
            .and_then(|r| r.default_late_penalty_rate)
            .map(|p| p.basis_points))
    }
}

/// Returns the referentiel value of a category.
fn vat_category(c: VatCategory) -> referentiel::VatCategory {
    match c {
        VatCategory::Standard => referentiel::VatCategory::Standard,
        VatCategory::Intermediate => referentiel::VatCategory::Intermediate,
        VatCategory::Reduced => referentiel::VatCategory::Reduced,
        VatCategory::SuperReduced => referentiel::VatCategory::SuperReduced,
        VatCategory::Exempt => referentiel::VatCategory::Exempt,
    }
}
