//! Storage of commerciaux and their hierarchy. Every query goes through the
//! tenant-scoped helpers; every change writes its event into the outbox in the same
//! transaction.

mod hierarchy;
mod rows;

use std::sync::Arc;

use chrono::{SubsecRound as _, Utc};
use crm_db::{Tenant, TenantScoped};
use sea_orm::sea_query::{Expr, ExprTrait as _, LikeExpr};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::domain::{Commercial, CommercialData, Status};
use crate::entity::commercial::{Column, Entity};
use crate::error::Error;
use crate::events::{self, Actor};
use rows::{
    check_version, ensure_unique, escape_like, is_unique_violation, to_active, to_domain, write,
};

/// Filters of ListCommerciaux.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this status.
    pub status: Option<Status>,
    /// Only this team (exact name).
    pub team: Option<String>,
    /// Only the direct reports of this commercial.
    pub manager_id: Option<Uuid>,
    /// Lowercase text to find in code, names and e-mail.
    pub query: Option<String>,
}

/// A commercial with a distance: their level in an upline or depth in a team.
pub type Ranked = (Commercial, usize);

/// The commerciaux store. Wakes the outbox relay after each committed change.
#[derive(Debug, Clone)]
pub struct Repo {
    db: DatabaseConnection,
    relay: Arc<Notify>,
}

impl Repo {
    /// Returns a store over `db` that wakes `relay` after each committed change.
    pub fn new(db: DatabaseConnection, relay: Arc<Notify>) -> Self {
        Self { db, relay }
    }

    /// Inserts a new commercial under its manager, or returns the one created earlier
    /// with `request_id`.
    pub async fn create(
        &self,
        tenant: Tenant,
        data: CommercialData,
        request_id: Option<Uuid>,
        actor: &Actor,
    ) -> Result<Commercial, Error> {
        match self.try_create(tenant, &data, request_id, actor).await {
            Err(e) if is_unique_violation(&e) => {
                // A concurrent writer won the race for a unique value; say which.
                if let Some(earlier) = self.by_request_id(tenant, request_id).await? {
                    return Ok(earlier);
                }
                Err(self.explain_conflict(tenant, &data, None, e).await)
            }
            // A retry of the same create that committed after this one looked for its
            // request id finds its own code taken: it is the same commercial.
            Err(Error::CodeTaken(_) | Error::UserTaken(_)) if request_id.is_some() => {
                match self.by_request_id(tenant, request_id).await? {
                    Some(earlier) => Ok(earlier),
                    None => self.try_create(tenant, &data, request_id, actor).await,
                }
            }
            other => other,
        }
    }

    async fn by_request_id(
        &self,
        tenant: Tenant,
        request_id: Option<Uuid>,
    ) -> Result<Option<Commercial>, Error> {
        let Some(request_id) = request_id else {
            return Ok(None);
        };
        let found = Entity::find_in(tenant)
            .filter(Column::RequestId.eq(request_id))
            .one(&self.db)
            .await?;
        Ok(found.map(to_domain))
    }

    async fn try_create(
        &self,
        tenant: Tenant,
        data: &CommercialData,
        request_id: Option<Uuid>,
        actor: &Actor,
    ) -> Result<Commercial, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        if let Some(request_id) = request_id {
            let earlier = Entity::find_in(tenant)
                .filter(Column::RequestId.eq(request_id))
                .one(&txn)
                .await?;
            if let Some(earlier) = earlier {
                return Ok(to_domain(earlier));
            }
        }
        ensure_unique(&txn, tenant, data, None).await?;
        let upline = match data.manager_id {
            Some(manager) => {
                hierarchy::lock(&txn, tenant).await?;
                hierarchy::check_manager(&txn, tenant, manager, None, 1).await?
            }
            None => Vec::new(),
        };
        // PostgreSQL keeps microseconds: store what reads back the same on both backends.
        let now = Utc::now().trunc_subsecs(6);
        let c = Commercial {
            id: Uuid::now_v7(),
            organisation_id: tenant.id(),
            data: data.clone(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        Entity::insert(to_active(&c, request_id))
            .exec_without_returning(&txn)
            .await?;
        hierarchy::place_new(&txn, tenant, c.id, &upline).await?;
        crm_events::append(&txn, events::created(&c, actor)).await?;
        txn.commit().await?;
        self.relay.notify_one();
        Ok(c)
    }

    /// Returns a commercial of the tenant.
    pub async fn get(&self, tenant: Tenant, id: Uuid) -> Result<Commercial, Error> {
        Entity::find_by_id_in(tenant, id)
            .one(&self.db)
            .await?
            .map(to_domain)
            .ok_or(Error::NotFound(id))
    }

    /// Returns whether the tenant has a commercial `id`.
    pub async fn exists(&self, tenant: Tenant, id: Uuid) -> Result<bool, Error> {
        let found = Entity::find_by_id_in(tenant, id)
            .select_only()
            .column(Column::Id)
            .into_tuple::<Uuid>()
            .one(&self.db)
            .await?;
        Ok(found.is_some())
    }

    /// Applies `change` to a commercial inside one transaction: the commercial is read,
    /// changed, checked (uniqueness, hierarchy) and written with its `commercial.updated`
    /// event, or nothing is written. A change that changes nothing writes nothing.
    /// `expected_version` (when not 0) must match the stored version.
    pub async fn update<F>(
        &self,
        tenant: Tenant,
        id: Uuid,
        expected_version: i64,
        change: F,
        actor: &Actor,
    ) -> Result<Commercial, Error>
    where
        F: FnOnce(&Commercial) -> Result<CommercialData, Error>,
    {
        let mut attempted = None;
        let result = self
            .try_update(tenant, id, expected_version, change, actor, &mut attempted)
            .await;
        match (result, attempted) {
            (Err(e), Some(data)) if is_unique_violation(&e) => {
                Err(self.explain_conflict(tenant, &data, Some(id), e).await)
            }
            (result, _) => result,
        }
    }

    async fn try_update<F>(
        &self,
        tenant: Tenant,
        id: Uuid,
        expected_version: i64,
        change: F,
        actor: &Actor,
        attempted: &mut Option<CommercialData>,
    ) -> Result<Commercial, Error>
    where
        F: FnOnce(&Commercial) -> Result<CommercialData, Error>,
    {
        let txn = crm_db::begin_write(&self.db).await?;
        let current = Entity::find_by_id_in(tenant, id)
            .one(&txn)
            .await?
            .map(to_domain)
            .ok_or(Error::NotFound(id))?;
        check_version(&current, expected_version)?;
        let data = change(&current)?;
        *attempted = Some(data.clone());
        if data == current.data {
            return Ok(current);
        }
        ensure_unique(&txn, tenant, &data, Some(id)).await?;
        if data.manager_id != current.data.manager_id {
            // Everything the move is checked against is read after the lock; the row
            // read above is guarded by its version in the final UPDATE instead.
            hierarchy::lock(&txn, tenant).await?;
            let subtree = hierarchy::subtree(&txn, tenant, id).await?;
            let height = subtree.iter().map(|&(_, d)| d).max().unwrap_or(0) + 1;
            let upline = match data.manager_id {
                Some(manager) => {
                    hierarchy::check_manager(&txn, tenant, manager, Some(id), height).await?
                }
                None => Vec::new(),
            };
            hierarchy::move_subtree(&txn, tenant, id, &subtree, &upline).await?;
        }
        let next = Commercial {
            data,
            version: current.version + 1,
            updated_at: Utc::now().trunc_subsecs(6),
            ..current.clone()
        };
        write(&txn, tenant, &current, &next).await?;
        crm_events::append(&txn, events::updated(&current, &next, actor)).await?;
        txn.commit().await?;
        self.relay.notify_one();
        Ok(next)
    }

    /// Deactivates a commercial: status INACTIVE and `commercial.deactivated`. Their
    /// reports stay where they are.
    pub async fn deactivate(
        &self,
        tenant: Tenant,
        id: Uuid,
        expected_version: i64,
        actor: &Actor,
    ) -> Result<Commercial, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        // Taken before reading: a concurrent placement under this commercial either
        // commits first or sees them inactive.
        hierarchy::lock(&txn, tenant).await?;
        let current = Entity::find_by_id_in(tenant, id)
            .one(&txn)
            .await?
            .map(to_domain)
            .ok_or(Error::NotFound(id))?;
        check_version(&current, expected_version)?;
        if current.data.status == Status::Inactive {
            return Err(Error::FailedPrecondition(
                "the commercial is already inactive".into(),
            ));
        }
        let mut next = current.clone();
        next.data.status = Status::Inactive;
        next.version = current.version + 1;
        next.updated_at = Utc::now().trunc_subsecs(6);
        write(&txn, tenant, &current, &next).await?;
        crm_events::append(&txn, events::deactivated(&next, actor)).await?;
        txn.commit().await?;
        self.relay.notify_one();
        Ok(next)
    }

    /// Returns up to `limit` commerciaux after the id `after` (newest first), and
    /// whether more follow.
    pub async fn list(
        &self,
        tenant: Tenant,
        filter: &ListFilter,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<(Vec<Commercial>, bool), Error> {
        let mut query = Entity::find_in(tenant);
        if let Some(status) = filter.status {
            query = query.filter(Column::Status.eq(status.as_str()));
        }
        if let Some(team) = &filter.team {
            query = query.filter(Column::Team.eq(team.as_str()));
        }
        if let Some(manager) = filter.manager_id {
            query = query.filter(Column::ManagerId.eq(manager));
        }
        if let Some(text) = &filter.query {
            let pattern = format!("%{}%", escape_like(text));
            query = query
                .filter(Expr::col(Column::SearchText).like(LikeExpr::new(pattern).escape('\\')));
        }
        if let Some(after) = after {
            query = query.filter(Column::Id.lt(after));
        }
        let mut rows = query
            .order_by_desc(Column::Id)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok((rows.into_iter().map(to_domain).collect(), more))
    }

    /// Returns the upline of a commercial: them (level 0), their manager (level 1), and
    /// so on up to the top.
    pub async fn upline(&self, tenant: Tenant, id: Uuid) -> Result<Vec<Ranked>, Error> {
        let rows = hierarchy::upline(&self.db, tenant, id).await?;
        if rows.is_empty() {
            return Err(Error::NotFound(id));
        }
        Ok(rows.into_iter().map(|(m, l)| (to_domain(m), l)).collect())
    }

    /// Returns up to `limit` reports of a commercial with their depth below them,
    /// newest first after `after`, and whether more follow.
    pub async fn team(
        &self,
        tenant: Tenant,
        id: Uuid,
        direct_only: bool,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<(Vec<Ranked>, bool), Error> {
        if !self.exists(tenant, id).await? {
            return Err(Error::NotFound(id));
        }
        let (rows, more) = hierarchy::team(&self.db, tenant, id, direct_only, after, limit).await?;
        Ok((
            rows.into_iter().map(|(m, d)| (to_domain(m), d)).collect(),
            more,
        ))
    }

    /// Returns the error that explains a unique violation raised by a concurrent writer.
    async fn explain_conflict(
        &self,
        tenant: Tenant,
        data: &CommercialData,
        except: Option<Uuid>,
        original: Error,
    ) -> Error {
        match ensure_unique(&self.db, tenant, data, except).await {
            Err(explained) => explained,
            Ok(()) => original,
        }
    }
}
