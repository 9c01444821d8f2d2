//! Storage of clients. Every query goes through the tenant-scoped helpers.

use std::collections::BTreeMap;

use chrono::{DateTime, SubsecRound as _, Utc};
use crm_db::{Tenant, TenantScoped};
use sea_orm::sea_query::{Expr, ExprTrait as _, LikeExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, SqlErr,
};
use std::sync::Arc;

use crm_events::NewEvent;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::domain::{Address, Civility, Client, ClientData, Kind, Status, Visibility};
use crate::entity::client::{self, Column, Entity};
use crate::error::Error;
use crate::events::{self, Actor};

/// Filters of ListClients.
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

/// The clients store. Every change writes its event into the outbox in the same
/// transaction, and wakes the relay once committed.
#[derive(Debug, Clone)]
pub struct Repo {
    db: DatabaseConnection,
    relay: Arc<Notify>,
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn to_domain(m: client::Model) -> Client {
    let address =
        |json: Option<String>| json.and_then(|j| serde_json::from_str::<Address>(&j).ok());
    Client {
        id: m.id,
        organisation_id: m.organisation_id,
        data: ClientData {
            kind: Kind::parse(&m.kind).unwrap_or(Kind::Person),
            civility: m.civility.as_deref().and_then(Civility::parse),
            first_name: m.first_name,
            last_name: m.last_name,
            company_name: m.company_name,
            siren: m.siren,
            siret: m.siret,
            email: m.email,
            phone: m.phone,
            birth_date: m.birth_date,
            postal_address: address(m.postal_address),
            billing_address: address(m.billing_address),
            status: Status::parse(&m.status).unwrap_or(Status::Prospect),
            commercial_id: m.commercial_id,
            tags: serde_json::from_str(&m.tags).unwrap_or_default(),
            source: m.source,
            custom_fields: serde_json::from_str::<BTreeMap<String, String>>(&m.custom_fields)
                .unwrap_or_default(),
        },
        previous_status: m.previous_status.as_deref().and_then(Status::parse),
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }
}

fn to_active(c: &Client, request_id: Option<Uuid>) -> client::ActiveModel {
    let json = |a: &Option<Address>| a.as_ref().and_then(|a| serde_json::to_string(a).ok());
    let d = &c.data;
    client::ActiveModel {
        id: Set(c.id),
        organisation_id: Set(c.organisation_id),
        kind: Set(d.kind.as_str().to_owned()),
        civility: Set(d.civility.map(|c| c.as_str().to_owned())),
        first_name: Set(d.first_name.clone()),
        last_name: Set(d.last_name.clone()),
        company_name: Set(d.company_name.clone()),
        siren: Set(d.siren.clone()),
        siret: Set(d.siret.clone()),
        email: Set(d.email.clone()),
        email_key: Set(d.email.as_ref().map(|e| e.to_lowercase())),
        phone: Set(d.phone.clone()),
        birth_date: Set(d.birth_date),
        postal_address: Set(json(&d.postal_address)),
        billing_address: Set(json(&d.billing_address)),
        status: Set(d.status.as_str().to_owned()),
        previous_status: Set(c.previous_status.map(|s| s.as_str().to_owned())),
        commercial_id: Set(d.commercial_id),
        tags: Set(serde_json::to_string(&d.tags).unwrap_or_else(|_| "[]".into())),
        source: Set(d.source.clone()),
        custom_fields: Set(serde_json::to_string(&d.custom_fields).unwrap_or_else(|_| "{}".into())),
        search_text: Set(d.search_text()),
        request_id: Set(request_id),
        created_at: Set(c.created_at),
        updated_at: Set(c.updated_at),
        version: Set(c.version),
    }
}

impl Repo {
    /// Returns a store over `db` that wakes `relay` after each committed change.
    pub fn new(db: DatabaseConnection, relay: Arc<Notify>) -> Self {
        Self { db, relay }
    }

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
                return Ok(to_domain(earlier));
            }
        }
        ensure_email_free(&txn, tenant, data.email.as_deref(), None).await?;
        // PostgreSQL keeps microseconds: store what reads back the same on both backends.
        let now = Utc::now().trunc_subsecs(6);
        let client = Client {
            id: Uuid::now_v7(),
            organisation_id: tenant.id(),
            data,
            previous_status: None,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        Entity::insert(to_active(&client, request_id))
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
        let found = Entity::find_by_id_in(tenant, id)
            .one(&self.db)
            .await?
            .map(to_domain);
        match found {
            Some(c) if visibility.allows(c.data.commercial_id) => Ok(c),
            _ => Err(Error::NotFound(id)),
        }
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
        let current = Entity::find_by_id_in(tenant, id)
            .one(&txn)
            .await?
            .map(to_domain)
            .filter(|c| visibility.allows(c.data.commercial_id))
            .ok_or(Error::NotFound(id))?;
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
        next.updated_at = Utc::now().trunc_subsecs(6);
        let mut active = to_active(&next, None);
        // The request id belongs to the creation; an update leaves it as it was.
        active.request_id = sea_orm::ActiveValue::NotSet;
        let result = Entity::update_many_in(tenant)
            .set(active)
            .filter(Column::Id.eq(id))
            .filter(Column::Version.eq(current.version))
            .exec(&txn)
            .await
            .map_err(|e| unique_violation(e, &next))?;
        if result.rows_affected != 1 {
            return Err(Error::VersionMismatch {
                id,
                expected: current.version,
                current: current.version + 1,
            });
        }
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
        let mut query = Entity::find_in(tenant);
        match visibility {
            Visibility::All => {}
            Visibility::AssignedTo(Some(me)) => query = query.filter(Column::CommercialId.eq(me)),
            Visibility::AssignedTo(None) => return Ok((Vec::new(), false)),
        }
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
        let mut rows = query
            .order_by_desc(Column::Id)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        Ok((rows.into_iter().map(to_domain).collect(), more))
    }
}

async fn ensure_email_free<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    email: Option<&str>,
    except: Option<Uuid>,
) -> Result<(), Error> {
    let Some(email) = email else { return Ok(()) };
    let mut query = Entity::find_in(tenant)
        .filter(Column::EmailKey.eq(email.to_lowercase()))
        .filter(Column::Status.ne(Status::Archived.as_str()));
    if let Some(id) = except {
        query = query.filter(Column::Id.ne(id));
    }
    if query.one(db).await?.is_some() {
        return Err(Error::EmailTaken(email.to_owned()));
    }
    Ok(())
}

/// Maps a unique-index violation (a concurrent writer won the race) to its meaning.
fn unique_violation(error: sea_orm::DbErr, client: &Client) -> Error {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            Error::EmailTaken(client.data.email.clone().unwrap_or_default())
        }
        _ => Error::Database(error),
    }
}
