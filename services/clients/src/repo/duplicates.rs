//! Finding duplicates and merging them.

use std::collections::HashMap;

use chrono::Utc;
use crm_db::{Tenant, TenantScoped};
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::clients::visible;
use super::{Repo, append_all, ensure_email_free, load_client, now, rows, write_client};
use crate::domain::duplicates::{Keys, Reason, reasons};
use crate::domain::{self, Client, ClientData, Status, Visibility, merge};
use crate::entity::client::{Column, Entity};
use crate::entity::{contact, opportunity};
use crate::error::Error;
use crate::events::{self, Actor};

/// What to find duplicates of.
#[derive(Debug, Clone)]
pub enum DuplicateTarget {
    /// A stored client.
    Client(Uuid),
    /// The keys of a client not yet stored.
    Candidate(Keys),
}

/// What a merge did.
#[derive(Debug, Clone)]
pub struct MergeOutcome {
    /// The survivor after the merge.
    pub client: Client,
    /// The duplicates, now archived.
    pub merged: Vec<Uuid>,
    /// Contacts moved to the survivor.
    pub moved_contacts: u64,
    /// Opportunities moved to the survivor.
    pub moved_opportunities: u64,
}

impl Repo {
    /// Returns up to `limit` live clients, after the id `after` (newest first), that
    /// look like duplicates of `target`, each with its reasons, and whether more follow.
    pub async fn find_duplicates(
        &self,
        tenant: Tenant,
        target: DuplicateTarget,
        visibility: Visibility,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<(Vec<(Client, Vec<Reason>)>, bool), Error> {
        let (keys, exclude) = match target {
            DuplicateTarget::Client(id) => {
                let client = load_client(&self.db, tenant, id, &visibility, false).await?;
                (Keys::of(&client.data), Some(id))
            }
            DuplicateTarget::Candidate(keys) => (keys, None),
        };
        let Some(mut query) = visible(Entity::find_in(tenant), visibility) else {
            return Ok((Vec::new(), false));
        };
        if keys.is_empty() {
            return Ok((Vec::new(), false));
        }
        let mut any = Condition::any();
        if let Some(email) = &keys.email_key {
            any = any.add(Column::EmailKey.eq(email.as_str()));
        }
        if let Some(siret) = &keys.siret {
            any = any.add(Column::Siret.eq(siret.as_str()));
        }
        if let Some((name, birth)) = keys.name_and_birth() {
            any = any.add(
                Condition::all()
                    .add(Column::NameKey.eq(name))
                    .add(Column::BirthDate.eq(birth)),
            );
        }
        query = query.filter(super::live()).filter(any);
        if let Some(id) = exclude {
            query = query.filter(Column::Id.ne(id));
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
        let matches = found
            .into_iter()
            .map(rows::client_of)
            .map(|c| {
                let why = reasons(&keys, &Keys::of(&c.data));
                (c, why)
            })
            .filter(|(_, why)| !why.is_empty())
            .collect();
        Ok((matches, more))
    }

    /// Merges `duplicate_ids` into `survivor_id` in one transaction (see
    /// `domain::merge` for how fields are filled): the duplicates are archived with
    /// merged_into set (client.archived each), their contacts and opportunities move to
    /// the survivor, and the survivor is written with client.merged.
    pub async fn merge(
        &self,
        tenant: Tenant,
        survivor_id: Uuid,
        duplicate_ids: &[Uuid],
        expected_version: i64,
        visibility: Visibility,
        actor: &Actor,
    ) -> Result<MergeOutcome, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        // Rows are locked in id order, so two merges over the same clients cannot
        // deadlock.
        let mut order: Vec<Uuid> = duplicate_ids.to_vec();
        order.push(survivor_id);
        order.sort_unstable();
        let mut locked = HashMap::with_capacity(order.len());
        for id in order {
            locked.insert(id, load_client(&txn, tenant, id, &visibility, true).await?);
        }
        let mut take = |id: Uuid| locked.remove(&id).ok_or(Error::client_not_found(id));
        let survivor = take(survivor_id)?;
        let duplicates = duplicate_ids
            .iter()
            .map(|id| take(*id))
            .collect::<Result<Vec<_>, _>>()?;
        if expected_version != 0 && expected_version != survivor.version {
            return Err(Error::VersionMismatch {
                id: survivor_id,
                expected: expected_version,
                current: survivor.version,
            });
        }
        let filled = merged_data(&survivor, &duplicates)?;

        // The duplicates are archived first, so the e-mail of one is free for the
        // survivor to take.
        let now = now();
        let mut out_events = Vec::with_capacity(duplicates.len() + 1);
        for d in &duplicates {
            let mut next = d.clone();
            next.previous_status = Some(d.data.status);
            next.data.status = Status::Archived;
            next.merged_into = Some(survivor_id);
            next.version = d.version + 1;
            next.updated_at = now;
            write_client(&txn, tenant, &next, d.version).await?;
            out_events.push(events::archived(d, &next, actor));
        }
        let moved_contacts = move_contacts(&txn, tenant, survivor_id, duplicate_ids).await?;
        let moved_opportunities = opportunity::Entity::update_many_in(tenant)
            .col_expr(opportunity::Column::ClientId, Expr::value(survivor_id))
            .col_expr(
                opportunity::Column::Version,
                Expr::col(opportunity::Column::Version).add(1),
            )
            .col_expr(opportunity::Column::UpdatedAt, Expr::value(now))
            .filter(opportunity::Column::ClientId.is_in(duplicate_ids.iter().copied()))
            .exec(&txn)
            .await?
            .rows_affected;

        let mut next = survivor.clone();
        next.data = filled;
        next.version = survivor.version + 1;
        next.updated_at = now;
        ensure_email_free(&txn, tenant, next.data.email.as_deref(), Some(survivor_id)).await?;
        write_client(&txn, tenant, &next, survivor.version).await?;
        out_events.push(events::merged(&next, duplicate_ids, actor));
        append_all(&txn, out_events).await?;
        txn.commit().await?;
        self.relay.notify_one();
        Ok(MergeOutcome {
            client: next,
            merged: duplicate_ids.to_vec(),
            moved_contacts,
            moved_opportunities,
        })
    }
}

/// Returns the survivor's fields after the merge, checking the clients can be merged.
fn merged_data(survivor: &Client, duplicates: &[Client]) -> Result<ClientData, Error> {
    if survivor.data.status == Status::Archived {
        return Err(Error::FailedPrecondition(
            "the surviving client is archived; restore it first".into(),
        ));
    }
    for d in duplicates {
        if d.data.status == Status::Archived {
            return Err(Error::FailedPrecondition(format!(
                "client {} is archived and cannot be merged",
                d.id
            )));
        }
        if d.data.kind != survivor.data.kind {
            return Err(Error::FailedPrecondition(
                "a person and a company cannot be merged".into(),
            ));
        }
    }
    let others: Vec<&ClientData> = duplicates.iter().map(|d| &d.data).collect();
    let filled = merge::fill(&survivor.data, &others);
    domain::validate(filled, "client", Utc::now().date_naive()).map_err(|v| {
        let problems: Vec<String> = v.into_iter().map(|(f, d)| format!("{f} {d}")).collect();
        Error::FailedPrecondition(format!(
            "the merged client would be invalid: {}",
            problems.join("; ")
        ))
    })
}

/// Moves the duplicates' contacts to the survivor. The survivor keeps its primary
/// contact; without one, the primary contact of the first listed duplicate that has one
/// becomes the survivor's; every other primary flag is cleared.
async fn move_contacts<C: ConnectionTrait>(
    conn: &C,
    tenant: Tenant,
    survivor: Uuid,
    duplicates: &[Uuid],
) -> Result<u64, Error> {
    use contact::{Column as Col, Entity as Contacts};
    let primaries = Contacts::find_in(tenant)
        .filter(Col::ClientId.is_in(duplicates.iter().copied().chain([survivor])))
        .filter(Col::IsPrimary.eq(true))
        .all(conn)
        .await?;
    let keep = if primaries.iter().any(|c| c.client_id == survivor) {
        None
    } else {
        duplicates
            .iter()
            .find_map(|d| primaries.iter().find(|c| c.client_id == *d).map(|c| c.id))
    };
    let now = now();
    let mut demote = Contacts::update_many_in(tenant)
        .col_expr(Col::IsPrimary, Expr::value(false))
        .col_expr(Col::Version, Expr::col(Col::Version).add(1))
        .col_expr(Col::UpdatedAt, Expr::value(now))
        .filter(Col::ClientId.is_in(duplicates.iter().copied()))
        .filter(Col::IsPrimary.eq(true));
    if let Some(kept) = keep {
        demote = demote.filter(Col::Id.ne(kept));
    }
    demote.exec(conn).await?;
    let moved = Contacts::update_many_in(tenant)
        .col_expr(Col::ClientId, Expr::value(survivor))
        .col_expr(Col::Version, Expr::col(Col::Version).add(1))
        .col_expr(Col::UpdatedAt, Expr::value(now))
        .filter(Col::ClientId.is_in(duplicates.iter().copied()))
        .exec(conn)
        .await?
        .rows_affected;
    Ok(moved)
}
