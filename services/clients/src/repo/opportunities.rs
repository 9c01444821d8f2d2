//! Opportunities. An agent sees the opportunities assigned to their sales-agent record.

use crm_db::{Tenant, TenantScoped};
use crm_events::NewEvent;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{Repo, load_client, now, rows};
use crate::domain::opportunity::{Opportunity, OpportunityData, Stage};
use crate::domain::{Client, Status, Visibility};
use crate::entity::opportunity::{Column, Entity};
use crate::error::Error;

/// Filters of ListOpportunities.
#[derive(Debug, Clone, Default)]
pub struct OpportunityFilter {
    /// Only this stage.
    pub stage: Option<Stage>,
    /// Only this sales agent's.
    pub commercial_id: Option<Uuid>,
    /// Only this client's.
    pub client_id: Option<Uuid>,
}

fn not_found(id: Uuid) -> Error {
    Error::NotFound {
        entity: "opportunity",
        id,
    }
}

impl Repo {
    /// Opens an opportunity on a live client, or returns the one opened earlier with
    /// `request_id`. Without a sales agent it gets the client's.
    pub async fn create_opportunity(
        &self,
        tenant: Tenant,
        client_id: Uuid,
        mut data: OpportunityData,
        stage: Stage,
        request_id: Option<Uuid>,
        visibility: Visibility,
    ) -> Result<Opportunity, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let client = load_client(&txn, tenant, client_id, &visibility, false).await?;
        if let Some(request_id) = request_id {
            let earlier = Entity::find_in(tenant)
                .filter(Column::RequestId.eq(request_id))
                .one(&txn)
                .await?;
            if let Some(earlier) = earlier {
                return Ok(rows::opportunity_of(earlier));
            }
        }
        if client.data.status == Status::Archived {
            return Err(Error::FailedPrecondition(
                "an archived client cannot get new opportunities; restore it first".into(),
            ));
        }
        if data.commercial_id.is_none() {
            data.commercial_id = client.data.commercial_id;
        }
        if data.probability.is_none() {
            data.probability = Some(stage.default_probability());
        }
        let now = now();
        let opportunity = Opportunity {
            id: Uuid::now_v7(),
            organisation_id: tenant.id(),
            client_id,
            data,
            stage,
            lost_reason: String::new(),
            closed_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        Entity::insert(rows::opportunity_row(&opportunity, request_id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(opportunity)
    }

    /// Returns an opportunity the caller sees.
    pub async fn get_opportunity(
        &self,
        tenant: Tenant,
        id: Uuid,
        visibility: Visibility,
    ) -> Result<Opportunity, Error> {
        Entity::find_by_id_in(tenant, id)
            .one(&self.db)
            .await?
            .map(rows::opportunity_of)
            .filter(|o| visibility.allows(o.data.commercial_id))
            .ok_or_else(|| not_found(id))
    }

    /// Applies `change` to an opportunity (given with its client) inside one
    /// transaction, writing the event `describe` returns for (before, after) if any, or
    /// nothing at all. `expected_version` (when not 0) must match the stored version.
    /// Returns the changed opportunity and its client.
    pub async fn change_opportunity<F, D>(
        &self,
        tenant: Tenant,
        id: Uuid,
        visibility: Visibility,
        expected_version: i64,
        change: F,
        describe: D,
    ) -> Result<(Opportunity, Client), Error>
    where
        F: FnOnce(&Opportunity, &Client) -> Result<Opportunity, Error>,
        D: FnOnce(&Opportunity, &Opportunity) -> Option<NewEvent>,
    {
        let txn = crm_db::begin_write(&self.db).await?;
        let current = Entity::find_by_id_in(tenant, id)
            .lock_exclusive()
            .one(&txn)
            .await?
            .map(rows::opportunity_of)
            .filter(|o| visibility.allows(o.data.commercial_id))
            .ok_or_else(|| not_found(id))?;
        // The opportunity is the caller's; its client is read whoever it is assigned to,
        // for the rules and the contract draft.
        let client = load_client(&txn, tenant, current.client_id, &Visibility::All, false).await?;
        if expected_version != 0 && expected_version != current.version {
            return Err(Error::VersionMismatch {
                id,
                expected: expected_version,
                current: current.version,
            });
        }
        let mut next = change(&current, &client)?;
        next.version = current.version + 1;
        next.updated_at = now();
        let mut active = rows::opportunity_row(&next, None);
        active.request_id = sea_orm::ActiveValue::NotSet;
        let result = Entity::update_many_in(tenant)
            .set(active)
            .filter(Column::Id.eq(id))
            .filter(Column::Version.eq(current.version))
            .exec(&txn)
            .await?;
        if result.rows_affected != 1 {
            return Err(Error::VersionMismatch {
                id,
                expected: current.version,
                current: current.version + 1,
            });
        }
        let event = describe(&current, &next);
        let publishes = event.is_some();
        if let Some(event) = event {
            crm_events::append(&txn, event).await?;
        }
        txn.commit().await?;
        if publishes {
            self.relay.notify_one();
        }
        Ok((next, client))
    }

    /// Returns up to `limit` opportunities after the id `after` (newest first), and
    /// whether more follow.
    pub async fn list_opportunities(
        &self,
        tenant: Tenant,
        filter: &OpportunityFilter,
        visibility: Visibility,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<(Vec<Opportunity>, bool), Error> {
        let mut query = Entity::find_in(tenant);
        match visibility {
            Visibility::All => {}
            Visibility::Commercials(ids) if ids.is_empty() => return Ok((Vec::new(), false)),
            Visibility::Commercials(ids) => {
                query = query.filter(Column::CommercialId.is_in(ids.iter().copied()));
            }
        }
        if let Some(stage) = filter.stage {
            query = query.filter(Column::Stage.eq(stage.as_str()));
        }
        if let Some(commercial) = filter.commercial_id {
            query = query.filter(Column::CommercialId.eq(commercial));
        }
        if let Some(client) = filter.client_id {
            query = query.filter(Column::ClientId.eq(client));
        }
        if let Some(after) = after {
            query = query.filter(Column::Id.lt(after));
        }
        let mut found = query
            .order_by_desc(Column::Id)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let more = found.len() as u64 > limit;
        found.truncate(limit as usize);
        Ok((found.into_iter().map(rows::opportunity_of).collect(), more))
    }
}
