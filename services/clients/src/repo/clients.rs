//! Clients: create, read, change, list.

use chrono::{DateTime, Utc};
use crm_db::{Tenant, TenantScoped};
use crm_events::NewEvent;
use sea_orm::sea_query::{Expr, ExprTrait as _, LikeExpr};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use uuid::Uuid;

use super::{
    Repo, ensure_email_free, escape_like, load_client, now, rows, unique_violation, write_client,
};
use crate::domain::{Client, ClientData, Status, Visibility};
use crate::entity::client::{Column, Entity};
use crate::error::Error;
use crate::events::{self, Actor};

/// Filters of ListClients and ExportClients.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this status; archived clients are left out unless asked for.
    pub status: Option<Status>,
    /// Only clients of this agent.
    pub commercial_id: Option<Uuid>,
    /// Only clients with this tag (lowercase).
    pub tag: Option<String>,
    /// Created at or after.
    pub created_after: Option<DateTime<Utc>>,
    /// Created before.
    pub created_before: Option<DateTime<Utc>>,
    /// Lowercase text to find in names and e-mail.
    pub query: Option<String>,
}

/// Returns `query` narrowed to what `visibility` shows, or `None` when it shows nothing.
pub(super) fn visible(query: Select<Entity>, visibility: Visibility) -> Option<Select<Entity>> {
    match visibility {
        Visibility::All => Some(query),
        Visibility::Commercials(ids) if ids.is_empty() => None,
        Visibility::Commercials(ids) => {
            Some(query.filter(Column::CommercialId.is_in(ids.iter().copied())))
        }
    }
}

impl Repo {
    /// Inserts a new client, or returns the one created earlier with `request_id`.
    pub async fn create(
        &self,
        tenant: Tenant,
        data: ClientData,
        request_id: Option<Uuid>,
        actor: &Actor,
    ) -> Result<Client, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        if let Some(request_id) = request_id {
            let earlier = Entity::find_in(tenant)
                .filter(Column::RequestId.eq(request_id))
                .one(&txn)
                .await?;
            if let Some(earlier) = earlier {
                return Ok(rows::client_of(earlier));
            }
        }
        ensure_email_free(&txn, tenant, data.email.as_deref(), None).await?;
        let now = now();
        let client = Client {
            id: Uuid::now_v7(),
            organisation_id: tenant.id(),
            data,
            previous_status: None,
            merged_into: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        Entity::insert(rows::client_row(&client, request_id))
            .exec(&txn)
            .await
            .map_err(|e| unique_violation(e, &client))?;
        crm_events::append(&txn, events::created(&client, actor)).await?;
        txn.commit().await?;
        self.relay.notify_one();
        Ok(client)
    }

    /// Returns a client of the tenant visible to the caller.
    pub async fn get(
        &self,
        tenant: Tenant,
        id: Uuid,
        visibility: Visibility,
    ) -> Result<Client, Error> {
        load_client(&self.db, tenant, id, &visibility, false).await
    }

    /// Applies `change` to a client inside one transaction: the client is read, changed,
    /// checked and written with the event `describe` returns for (before, after), or
    /// nothing is written. `expected_version` (when not 0) must match the stored version.
    pub async fn update<F, D>(
        &self,
        tenant: Tenant,
        id: Uuid,
        visibility: Visibility,
        expected_version: i64,
        change: F,
        describe: D,
    ) -> Result<Client, Error>
    where
        F: FnOnce(&Client) -> Result<Client, Error>,
        D: FnOnce(&Client, &Client) -> NewEvent,
    {
        let txn = crm_db::begin_write(&self.db).await?;
        let current = load_client(&txn, tenant, id, &visibility, false).await?;
        if expected_version != 0 && expected_version != current.version {
            return Err(Error::VersionMismatch {
                id,
                expected: expected_version,
                current: current.version,
            });
        }
        let mut next = change(&current)?;
        if next.data.status != Status::Archived {
            ensure_email_free(&txn, tenant, next.data.email.as_deref(), Some(id)).await?;
        }
        next.version = current.version + 1;
        next.updated_at = now();
        write_client(&txn, tenant, &next, current.version).await?;
        crm_events::append(&txn, describe(&current, &next)).await?;
        txn.commit().await?;
        self.relay.notify_one();
        Ok(next)
    }

    /// Returns up to `limit` clients after the id `after` (newest first), and whether
    /// more follow.
    pub async fn list(
        &self,
        tenant: Tenant,
        filter: &ListFilter,
        visibility: Visibility,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<(Vec<Client>, bool), Error> {
        let Some(mut query) = visible(Entity::find_in(tenant), visibility) else {
            return Ok((Vec::new(), false));
        };
        query = match filter.status {
            Some(status) => query.filter(Column::Status.eq(status.as_str())),
            None => query.filter(Column::Status.ne(Status::Archived.as_str())),
        };
        if let Some(commercial) = filter.commercial_id {
            query = query.filter(Column::CommercialId.eq(commercial));
        }
        if let Some(tag) = &filter.tag {
            let pattern = format!("%\"{}\"%", escape_like(tag));
            query = query.filter(Expr::col(Column::Tags).like(LikeExpr::new(pattern).escape('\\')));
        }
        if let Some(from) = filter.created_after {
            query = query.filter(Column::CreatedAt.gte(from));
        }
        if let Some(to) = filter.created_before {
            query = query.filter(Column::CreatedAt.lt(to));
        }
        if let Some(text) = &filter.query {
            let pattern = format!("%{}%", escape_like(text));
            query = query
                .filter(Expr::col(Column::SearchText).like(LikeExpr::new(pattern).escape('\\')));
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
        Ok((found.into_iter().map(rows::client_of).collect(), more))
    }
}
