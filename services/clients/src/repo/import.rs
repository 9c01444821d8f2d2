//! Importing a batch of checked rows in one transaction: one query finds the rows
//! already imported (by request id), then the new clients and their client.created
//! events are written with one statement each. A row whose e-mail a live client already
//! uses is refused by the unique index itself on PostgreSQL (`ON CONFLICT DO NOTHING`,
//! the rows written come back): no query over the organisation's clients whose plan
//! could go wrong while the table grows from empty. SQLite looks the e-mails up first.

use std::collections::{HashMap, HashSet};

use crm_db::{Tenant, TenantScoped};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, SqlErr,
    Statement, TryIntoModel as _,
};
use uuid::Uuid;

use super::{Repo, append_all, now, rows};
use crate::domain::{Client, ClientData};
use crate::entity::client::{self, Column, Entity};
use crate::error::Error;
use crate::events::{self, Actor};

/// A row that passed its checks, ready to import.
#[derive(Debug, Clone)]
pub struct ImportRow {
    /// Its position in the caller's batch.
    pub index: usize,
    /// The caller's idempotency key.
    pub request_id: Option<Uuid>,
    /// The normalised client.
    pub data: ClientData,
}

/// What became of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    /// Created now, or earlier with the same request id.
    Created(Uuid),
    /// Refused, with the violations.
    Rejected(Vec<(String, String)>),
}

/// Inserts new clients with one statement and returns the ids written. On PostgreSQL
/// the rows travel as one JSON parameter expanded by `json_populate_recordset` (columns
/// matched by name): a 500-row VALUES list has 14,000 parameters, which PostgreSQL binds
/// and plans markedly slower (about 15 % of the import rate); a row that would break a
/// unique index (an e-mail in use) is skipped and missing from the answer. SQLite takes
/// the plain multi-row insert, every row of which was checked before.
async fn insert_clients<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<client::ActiveModel>,
) -> Result<HashSet<Uuid>, Error> {
    let models = rows
        .into_iter()
        .map(|row| row.try_into_model())
        .collect::<Result<Vec<client::Model>, _>>()?;
    if conn.get_database_backend() != DbBackend::Postgres {
        let ids = models.iter().map(|m| m.id).collect();
        Entity::insert_many(models.into_iter().map(client::ActiveModel::from))
            .exec_without_returning(conn)
            .await?;
        return Ok(ids);
    }
    let json = serde_json::to_string(&models)
        .map_err(|e| Error::Database(sea_orm::DbErr::Custom(e.to_string())))?;
    let written = conn
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO clients SELECT * FROM json_populate_recordset(NULL::clients, $1::json) \
             ON CONFLICT DO NOTHING RETURNING id",
            [json.into()],
        ))
        .await?;
    written
        .iter()
        .map(|row| row.try_get::<Uuid>("", "id").map_err(Error::from))
        .collect()
}

/// How often a batch runs again after losing a race on a unique index.
const RETRIES: usize = 2;

impl Repo {
    /// Imports `batch` in one transaction and returns each row's outcome by index. A row
    /// whose e-mail a live client already uses is rejected; a row whose request id was
    /// seen before answers the client created then.
    pub async fn import_batch(
        &self,
        tenant: Tenant,
        batch: &[ImportRow],
        actor: &Actor,
    ) -> Result<Vec<(usize, RowOutcome)>, Error> {
        let mut attempt = 0;
        loop {
            match self.try_import(tenant, batch, actor).await {
                // A concurrent writer took an e-mail or a request id between the checks
                // and the insert; the next attempt's checks see it.
                Err(Error::Database(e))
                    if attempt < RETRIES
                        && matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) =>
                {
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn try_import(
        &self,
        tenant: Tenant,
        batch: &[ImportRow],
        actor: &Actor,
    ) -> Result<Vec<(usize, RowOutcome)>, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let request_ids: Vec<Uuid> = batch.iter().filter_map(|r| r.request_id).collect();
        let earlier: HashMap<Uuid, Uuid> = if request_ids.is_empty() {
            HashMap::new()
        } else {
            Entity::find_in(tenant)
                .select_only()
                .column(Column::RequestId)
                .column(Column::Id)
                .filter(Column::RequestId.is_in(request_ids))
                .into_tuple::<(Option<Uuid>, Uuid)>()
                .all(&txn)
                .await?
                .into_iter()
                .filter_map(|(rid, id)| rid.map(|rid| (rid, id)))
                .collect()
        };
        let postgres = txn.get_database_backend() == DbBackend::Postgres;
        let emails: Vec<String> = batch
            .iter()
            .filter_map(|r| r.data.email.as_ref().map(|e| e.to_lowercase()))
            .collect();
        let taken: HashSet<String> = if emails.is_empty() || postgres {
            HashSet::new()
        } else {
            Entity::find_in(tenant)
                .select_only()
                .column(Column::EmailKey)
                .filter(super::live())
                .filter(Column::EmailKey.is_in(emails))
                .into_tuple::<Option<String>>()
                .all(&txn)
                .await?
                .into_iter()
                .flatten()
                .collect()
        };

        let now = now();
        let mut outcomes = Vec::with_capacity(batch.len());
        let mut inserts = Vec::with_capacity(batch.len());
        let mut new_clients = Vec::with_capacity(batch.len());
        for row in batch {
            if let Some(id) = row.request_id.and_then(|rid| earlier.get(&rid)) {
                outcomes.push((row.index, RowOutcome::Created(*id)));
                continue;
            }
            if row
                .data
                .email
                .as_ref()
                .is_some_and(|e| taken.contains(&e.to_lowercase()))
            {
                outcomes.push((
                    row.index,
                    RowOutcome::Rejected(vec![(
                        "client.email".into(),
                        "a client with this e-mail already exists".into(),
                    )]),
                ));
                continue;
            }
            let client = Client {
                id: Uuid::now_v7(),
                organisation_id: tenant.id(),
                data: row.data.clone(),
                previous_status: None,
                merged_into: None,
                created_at: now,
                updated_at: now,
                version: 1,
            };
            inserts.push(rows::client_row(&client, row.request_id));
            new_clients.push((row.index, row.request_id, client));
        }
        if inserts.is_empty() {
            return Ok(outcomes);
        }
        let written = insert_clients(&txn, inserts).await?;
        // A row skipped for its request id (a concurrent call imported it meanwhile) is
        // that earlier client, not a refusal.
        let raced: Vec<Uuid> = new_clients
            .iter()
            .filter(|(_, _, c)| !written.contains(&c.id))
            .filter_map(|(_, request_id, _)| *request_id)
            .collect();
        let raced: HashMap<Uuid, Uuid> = if raced.is_empty() {
            HashMap::new()
        } else {
            Entity::find_in(tenant)
                .select_only()
                .column(Column::RequestId)
                .column(Column::Id)
                .filter(Column::RequestId.is_in(raced))
                .into_tuple::<(Option<Uuid>, Uuid)>()
                .all(&txn)
                .await?
                .into_iter()
                .filter_map(|(rid, id)| rid.map(|rid| (rid, id)))
                .collect()
        };
        let mut created = Vec::with_capacity(written.len());
        for (index, request_id, client) in new_clients {
            if let Some(earlier) = request_id.and_then(|rid| raced.get(&rid)) {
                outcomes.push((index, RowOutcome::Created(*earlier)));
            } else if written.contains(&client.id) {
                created.push(events::created(&client, actor));
                outcomes.push((index, RowOutcome::Created(client.id)));
            } else {
                outcomes.push((
                    index,
                    RowOutcome::Rejected(vec![(
                        "client.email".into(),
                        "a client with this e-mail already exists".into(),
                    )]),
                ));
            }
        }
        append_all(&txn, created).await?;
        txn.commit().await?;
        self.relay.notify_one();
        Ok(outcomes)
    }
}
