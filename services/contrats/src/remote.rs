//! Reads from the clients, commerciaux, products and payments services, as the caller (internal
//! token for the caller's organisation, user and role, so their row-level rules apply:
//! an agent only finds their own clients). Every call carries what remains of the
//! caller's deadline and is cut off there; these reads are idempotent, so one that
//! answers UNAVAILABLE is retried once after a short pause when the deadline leaves time
//! for it. They all run before any transaction is opened, concurrently.

use std::collections::HashMap;

use chrono::NaiveDate;
use crm_kit::RequestContext;
use crm_kit::auth::MeshKey;
use crm_kit::client::{Downstream, OnBehalfOf, read};
use crm_kit::config::KitConfig;
use crm_kit::team::Teams;
use crm_proto::clients::v1 as clients;
use crm_proto::clients::v1::client_service_client::ClientServiceClient;
use crm_proto::commerciaux::v1 as commerciaux;
use crm_proto::commerciaux::v1::commercial_service_client::CommercialServiceClient;
use crm_proto::payments::v1 as payments;
use crm_proto::payments::v1::payment_service_client::PaymentServiceClient;
use crm_proto::products::v1 as products;
use crm_proto::products::v1::product_service_client::ProductServiceClient;
use futures::future::{try_join, try_join_all, try_join3};
use tonic::Status;
use uuid::Uuid;

use crate::convert::date_to_proto;
use crate::domain::pricing::{ClientFacts, CommercialFacts, MandateFacts, ProductFacts};
use crate::domain::{ClientKind, Frequency, Money};
use crate::error::Error;

/// The services a contract refers to.
#[derive(Debug, Clone)]
pub struct Remote {
    clients: Downstream,
    commerciaux: Downstream,
    products: Downstream,
    payments: Downstream,
    teams: Teams,
}

/// What to read: each reference is read only when named.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    /// The client.
    pub client: Option<Uuid>,
    /// The sales agent.
    pub commercial: Option<Uuid>,
    /// The products (each read once).
    pub products: Vec<Uuid>,
    /// The date of the prices; `None`: each product's current price.
    pub price_on: Option<NaiveDate>,
    /// A SEPA mandate, by reference.
    pub mandate: Option<String>,
}

/// What was read. For the client and the agent, `None` when not asked for and
/// `Some(None)` when the service does not know it (missing, another organisation's or,
/// for an agent, not theirs).
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// The client.
    pub client: Option<Option<ClientFacts>>,
    /// The sales agent.
    pub commercial: Option<Option<CommercialFacts>>,
    /// Each product asked for, `None` when unknown.
    pub products: HashMap<Uuid, Option<ProductFacts>>,
    /// The mandate, as the client and the agent.
    pub mandate: Option<Option<MandateFacts>>,
}

impl Remote {
    /// Returns the reader, with the services' addresses from `config`
    /// (`services.clients`, `services.commerciaux`, `services.products`).
    pub fn new(caller: &'static str, config: &KitConfig, mesh: &MeshKey) -> Result<Self, Status> {
        let downstream =
            |target| Downstream::lazy(caller, target, &config.service_url(target), mesh.clone());
        Ok(Self {
            clients: downstream("clients")?,
            commerciaux: downstream("commerciaux")?,
            products: downstream("products")?,
            payments: downstream("payments")?,
            teams: Teams::new(caller, config, mesh)?,
        })
    }

    /// Returns the resolver of callers' teams.
    pub fn teams(&self) -> &Teams {
        &self.teams
    }

    /// Reads everything `lookup` names, concurrently.
    pub async fn look_up(&self, ctx: &RequestContext, lookup: &Lookup) -> Result<Found, Error> {
        let mut ids = lookup.products.clone();
        ids.sort_unstable();
        ids.dedup();
        let client = async {
            match lookup.client {
                Some(id) => self.client(ctx, id).await.map(Some),
                None => Ok(None),
            }
        };
        let commercial = async {
            match lookup.commercial {
                Some(id) => self.commercial(ctx, id).await.map(Some),
                None => Ok(None),
            }
        };
        let products = try_join_all(ids.iter().map(|id| async move {
            let facts = self.product(ctx, *id, lookup.price_on).await?;
            Ok::<_, Error>((*id, facts))
        }));
        let mandate = async {
            match &lookup.mandate {
                Some(reference) => self.mandate(ctx, reference).await.map(Some),
                None => Ok(None),
            }
        };
        let ((client, commercial, products), mandate) =
            try_join(try_join3(client, commercial, products), mandate).await?;
        Ok(Found {
            client,
            commercial,
            products: products.into_iter().collect(),
            mandate,
        })
    }

    /// Returns the mandate with `reference` in the caller's organisation. Asked for the
    /// organisation as a whole: who may sign a contract need not manage mandates.
    async fn mandate(
        &self,
        ctx: &RequestContext,
        reference: &str,
    ) -> Result<Option<MandateFacts>, Error> {
        let d = &self.payments;
        let organisation = OnBehalfOf {
            organisation_id: ctx.organisation_id,
            user_id: ctx.user_id().ok(),
            role: Some(crm_kit::Role::Admin),
            commercial_id: None,
        };
        let message = payments::ListMandatesRequest {
            reference: reference.to_owned(),
            page_size: 1,
            ..Default::default()
        };
        let found = read(ctx, d.target(), || async {
            let request = d.request_as(ctx, organisation, message.clone())?;
            PaymentServiceClient::new(d.channel())
                .list_mandates(request)
                .await
                .map(|r| r.into_inner().mandates)
        })
        .await?;
        Ok(found.unwrap_or_default().first().map(|m| MandateFacts {
            active: m.status == crm_proto::events::v1::MandateStatus::Active as i32,
            client_id: Uuid::parse_str(&m.client_id).ok(),
        }))
    }

    async fn client(&self, ctx: &RequestContext, id: Uuid) -> Result<Option<ClientFacts>, Error> {
        let d = &self.clients;
        let message = clients::GetClientRequest {
            client_id: id.to_string(),
        };
        let found = read(ctx, d.target(), || async {
            let request = d.request(ctx, message.clone())?;
            ClientServiceClient::new(d.channel())
                .get_client(request)
                .await
                .map(|r| r.into_inner().client)
        })
        .await?;
        Ok(found.flatten().map(|c| ClientFacts {
            kind: if c.kind == clients::ClientKind::Company as i32 {
                ClientKind::Company
            } else {
                ClientKind::Person
            },
            archived: c.status == clients::ClientStatus::Archived as i32,
        }))
    }

    async fn commercial(
        &self,
        ctx: &RequestContext,
        id: Uuid,
    ) -> Result<Option<CommercialFacts>, Error> {
        let d = &self.commerciaux;
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
        Ok(found.flatten().map(|c| CommercialFacts {
            active: c.status == commerciaux::CommercialStatus::Active as i32,
        }))
    }

    /// Returns the product `id` with its price on `price_on` (or its current price).
    async fn product(
        &self,
        ctx: &RequestContext,
        id: Uuid,
        price_on: Option<NaiveDate>,
    ) -> Result<Option<ProductFacts>, Error> {
        let d = &self.products;
        let message = products::GetProductRequest {
            product_id: id.to_string(),
        };
        let found = read(ctx, d.target(), || async {
            let request = d.request(ctx, message.clone())?;
            ProductServiceClient::new(d.channel())
                .get_product(request)
                .await
                .map(|r| r.into_inner().product)
        })
        .await?;
        let Some(p) = found.flatten() else {
            return Ok(None);
        };
        let price = match price_on {
            None => p
                .current_price
                .as_ref()
                .and_then(|c| c.price.as_ref())
                .map(money),
            Some(date) => {
                let message = products::GetPriceAtRequest {
                    product_id: id.to_string(),
                    date: Some(date_to_proto(date)),
                };
                let period = read(ctx, d.target(), || async {
                    let request = d.request(ctx, message.clone())?;
                    ProductServiceClient::new(d.channel())
                        .get_price_at(request)
                        .await
                        .map(|r| r.into_inner().price)
                })
                .await?;
                period.flatten().and_then(|p| p.price).as_ref().map(money)
            }
        };
        Ok(Some(ProductFacts {
            archived: p.status == products::ProductStatus::Archived as i32,
            billing_frequency: frequency(p.billing_frequency),
            vat_category: vat_key(p.vat_category).to_owned(),
            code: p.code,
            name: p.name,
            price,
        }))
    }
}

fn money(m: &crm_proto::common::v1::Money) -> Money {
    Money {
        currency_code: m.currency_code.clone(),
        amount_minor: m.amount_minor,
    }
}

fn frequency(value: i32) -> Option<Frequency> {
    match products::BillingFrequency::try_from(value).ok()? {
        products::BillingFrequency::Unspecified => None,
        products::BillingFrequency::Monthly => Some(Frequency::Monthly),
        products::BillingFrequency::Quarterly => Some(Frequency::Quarterly),
        products::BillingFrequency::SemiAnnual => Some(Frequency::SemiAnnual),
        products::BillingFrequency::Annual => Some(Frequency::Annual),
    }
}

/// Returns the referentiel key of a products VAT category (see products.proto).
fn vat_key(value: i32) -> &'static str {
    match products::VatCategory::try_from(value) {
        Ok(products::VatCategory::Standard) => "standard",
        Ok(products::VatCategory::Intermediate) => "intermediate",
        Ok(products::VatCategory::Reduced) => "reduced",
        Ok(products::VatCategory::SuperReduced) => "super_reduced",
        Ok(products::VatCategory::Exempt) => "exempt",
        Ok(products::VatCategory::Unspecified) | Err(_) => "",
    }
}
