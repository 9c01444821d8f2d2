//! Reads from the commerciaux and products services. The consumer has no caller: its
//! calls act for the event's organisation with no user, under the kit's background
//! deadline, and as idempotent reads answering UNAVAILABLE are retried once. A failure
//! fails the event, which is delivered again later.

use std::collections::HashMap;

use crm_kit::RequestContext;
use crm_kit::auth::MeshKey;
use crm_kit::client::{Downstream, OnBehalfOf, ReadError, read};
use crm_kit::config::KitConfig;
use crm_kit::team::Teams;
use crm_proto::commerciaux::v1 as commerciaux;
use crm_proto::commerciaux::v1::commercial_service_client::CommercialServiceClient;
use crm_proto::products::v1 as products;
use crm_proto::products::v1::product_service_client::ProductServiceClient;
use futures::future::try_join_all;
use tonic::Status;
use uuid::Uuid;

use crate::domain::terms::Manager;

/// The seller of a contract as commerciaux knows them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seller {
    /// The plan assigned to them, if any.
    pub plan_id: Option<Uuid>,
    /// The active managers above them, by level.
    pub upline: Vec<Manager>,
}

/// The services the commission service reads.
#[derive(Debug, Clone)]
pub struct Remote {
    commerciaux: Downstream,
    products: Downstream,
    teams: Teams,
}

/// Returns the context of a background call for `org`: no deadline of a caller, so the
/// kit's background timeout bounds it.
fn background(org: Uuid) -> RequestContext {
    RequestContext {
        organisation_id: Some(org),
        ..RequestContext::anonymous()
    }
}

impl Remote {
    /// Returns the reader, with the services' addresses from `config`
    /// (`services.commerciaux`, `services.products`).
    pub fn new(caller: &'static str, config: &KitConfig, mesh: &MeshKey) -> Result<Self, Status> {
        let downstream =
            |target| Downstream::lazy(caller, target, &config.service_url(target), mesh.clone());
        Ok(Self {
            commerciaux: downstream("commerciaux")?,
            products: downstream("products")?,
            teams: Teams::new(caller, config, mesh)?,
        })
    }

    /// Returns the resolver of callers' teams.
    pub fn teams(&self) -> &Teams {
        &self.teams
    }

    /// Returns `commercial` of `org` with their plan and the active managers above them
    /// (commerciaux.GetHierarchy); `None` when commerciaux does not know them.
    pub async fn seller(&self, org: Uuid, commercial: Uuid) -> Result<Option<Seller>, ReadError> {
        let d = &self.commerciaux;
        let ctx = background(org);
        let message = commerciaux::GetHierarchyRequest {
            commercial_id: commercial.to_string(),
        };
        let on_behalf = OnBehalfOf {
            organisation_id: Some(org),
            ..OnBehalfOf::default()
        };
        let found = read(&ctx, d.target(), || async {
            let request = d.background_request(on_behalf, message.clone())?;
            CommercialServiceClient::new(d.channel())
                .get_hierarchy(request)
                .await
                .map(tonic::Response::into_inner)
        })
        .await?;
        Ok(found.map(|h| seller_of(commercial, &h)))
    }

    /// Returns the category of each product of `org` in `ids` that products knows and
    /// that has one.
    pub async fn categories(
        &self,
        org: Uuid,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, String>, ReadError> {
        let d = &self.products;
        let ctx = background(org);
        let on_behalf = OnBehalfOf {
            organisation_id: Some(org),
            ..OnBehalfOf::default()
        };
        let found = try_join_all(ids.iter().map(|id| {
            let ctx = &ctx;
            async move {
                let message = products::GetProductRequest {
                    product_id: id.to_string(),
                };
                let product = read(ctx, d.target(), || async {
                    let request = d.background_request(on_behalf, message.clone())?;
                    ProductServiceClient::new(d.channel())
                        .get_product(request)
                        .await
                        .map(|r| r.into_inner().product)
                })
                .await?;
                Ok::<_, ReadError>((*id, product.flatten().map(|p| p.category)))
            }
        }))
        .await?;
        Ok(found
            .into_iter()
            .filter_map(|(id, c)| c.filter(|c| !c.trim().is_empty()).map(|c| (id, c)))
            .collect())
    }
}

/// Returns the seller of a GetHierarchy answer: level 0's plan, and every active
/// commercial above it.
fn seller_of(commercial: Uuid, h: &commerciaux::GetHierarchyResponse) -> Seller {
    let mut seller = Seller::default();
    for level in &h.upline {
        let Some(c) = &level.commercial else { continue };
        let Ok(id) = Uuid::parse_str(&c.id) else {
            continue;
        };
        if level.level == 0 || id == commercial {
            seller.plan_id = Uuid::parse_str(&c.commission_plan_id).ok();
        } else if c.status == commerciaux::CommercialStatus::Active as i32 {
            seller.upline.push(Manager {
                level: level.level,
                commercial_id: id,
            });
        }
    }
    seller.upline.sort_by_key(|m| m.level);
    seller
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(level: i32, id: Uuid, plan: &str, active: bool) -> commerciaux::HierarchyLevel {
        commerciaux::HierarchyLevel {
            level,
            commercial: Some(commerciaux::Commercial {
                id: id.to_string(),
                commission_plan_id: plan.into(),
                status: if active {
                    commerciaux::CommercialStatus::Active
                } else {
                    commerciaux::CommercialStatus::Inactive
                } as i32,
                ..Default::default()
            }),
        }
    }

    /// The seller's own plan comes from level 0; inactive managers earn no override and
    /// their level is not given to anyone else.
    #[test]
    fn the_upline_keeps_active_managers_at_their_level() {
        let (me, m1, m2, m3) = (
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
            Uuid::now_v7(),
        );
        let plan = Uuid::now_v7();
        let h = commerciaux::GetHierarchyResponse {
            upline: vec![
                level(0, me, &plan.to_string(), true),
                level(1, m1, "", true),
                level(2, m2, "", false),
                level(3, m3, "", true),
            ],
            depth: 4,
        };
        let s = seller_of(me, &h);
        assert_eq!(s.plan_id, Some(plan));
        assert_eq!(
            s.upline,
            [
                Manager {
                    level: 1,
                    commercial_id: m1
                },
                Manager {
                    level: 3,
                    commercial_id: m3
                }
            ]
        );
        let none = seller_of(
            me,
            &commerciaux::GetHierarchyResponse {
                upline: vec![level(0, me, "", true)],
                depth: 1,
            },
        );
        assert_eq!(none, Seller::default());
    }
}
