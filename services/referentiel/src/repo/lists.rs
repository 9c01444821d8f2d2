//! Storage of the organisations' value lists. Every query goes through the
//! tenant-scoped helpers. Every write first bumps the list's revision: the
//! `INSERT .. ON CONFLICT DO UPDATE` on `value_lists` locks the list's row on PostgreSQL
//! (SQLite writers are serialised by `BEGIN IMMEDIATE`), so writers of one list take
//! turns and the revision counts exactly the committed changes; a call that turns out
//! to change nothing rolls back, bump included.

use crm_db::{Tenant, TenantScoped as _};
use sea_orm::sea_query::{Expr, ExprTrait as _, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, Condition, ConnectionTrait, DatabaseTransaction,
    EntityTrait as _, PaginatorTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _,
};
use uuid::Uuid;

use super::{Repo, now};
use crate::domain::ListValue;
use crate::domain::lists::{Change, Fields, MAX_VALUES_PER_LIST, TENANT_DEFAULTS};
use crate::entity::list_value::{self, Column};
use crate::entity::value_list;
use crate::error::Error;

/// What UpsertValue did.
#[derive(Debug, Clone)]
pub struct Upserted {
    /// The value as stored.
    pub value: ListValue,
    /// Whether it was created.
    pub created: bool,
    /// The list's revision after the call.
    pub revision: i64,
}

fn to_domain(m: list_value::Model) -> ListValue {
    ListValue {
        id: m.id,
        organisation_id: m.organisation_id,
        list_key: m.list_key,
        code: m.code,
        label: m.label,
        position: m.position,
        active: m.active,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    }
}

fn fields(v: &ListValue) -> Fields {
    Fields {
        label: v.label.clone(),
        position: v.position,
        active: v.active,
    }
}

/// Increases the revision of the list (creating its row at 1) and returns it.
async fn bump_revision<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    key: &str,
) -> Result<i64, Error> {
    let row = value_list::ActiveModel {
        organisation_id: Set(tenant.id()),
        list_key: Set(key.to_owned()),
        revision: Set(1),
        updated_at: Set(now()),
    };
    value_list::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                value_list::Column::OrganisationId,
                value_list::Column::ListKey,
            ])
            .value(
                value_list::Column::Revision,
                Expr::col((value_list::Entity, value_list::Column::Revision)).add(1),
            )
            .update_column(value_list::Column::UpdatedAt)
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    revision(db, tenant, key).await
}

/// Returns the list's revision, 0 when it never held a value.
async fn revision<C: ConnectionTrait>(db: &C, tenant: Tenant, key: &str) -> Result<i64, Error> {
    let row = value_list::Entity::find_by_id_in(tenant, (tenant.id(), key.to_owned()))
        .one(db)
        .await?;
    Ok(row.map_or(0, |r| r.revision))
}

fn in_list(tenant: Tenant, key: &str) -> sea_orm::Select<list_value::Entity> {
    list_value::Entity::find_in(tenant).filter(Column::ListKey.eq(key))
}

/// Returns the position after the list's last value other than `except`.
async fn next_position(
    txn: &DatabaseTransaction,
    tenant: Tenant,
    key: &str,
    except: Option<Uuid>,
) -> Result<i32, Error> {
    let mut query = in_list(tenant, key);
    if let Some(id) = except {
        query = query.filter(Column::Id.ne(id));
    }
    let max: Option<Option<i32>> = query
        .select_only()
        .column_as(Column::Position.max(), "max_position")
        .into_tuple()
        .one(txn)
        .await?;
    Ok(max.flatten().unwrap_or(0).saturating_add(1))
}

impl Repo {
    /// Returns the list's revision, 0 when it never held a value.
    pub async fn list_revision(&self, tenant: Tenant, key: &str) -> Result<i64, Error> {
        revision(&self.db, tenant, key).await
    }

    /// Returns up to `limit` values of the list after `(position, code)`, by position
    /// then code, and whether more follow.
    pub async fn list_values(
        &self,
        tenant: Tenant,
        key: &str,
        active_only: bool,
        after: Option<(i32, String)>,
        limit: usize,
    ) -> Result<(Vec<ListValue>, bool), Error> {
        let mut query = in_list(tenant, key);
        if active_only {
            query = query.filter(Column::Active.eq(true));
        }
        if let Some((position, code)) = after {
            query = query.filter(
                Condition::any().add(Column::Position.gt(position)).add(
                    Condition::all()
                        .add(Column::Position.eq(position))
                        .add(Column::Code.gt(code)),
                ),
            );
        }
        let mut rows = query
            .order_by_asc(Column::Position)
            .order_by_asc(Column::Code)
            .limit(limit as u64 + 1)
            .all(&self.db)
            .await?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        Ok((rows.into_iter().map(to_domain).collect(), more))
    }

    /// Creates the value `code` of the list or applies `change` to it, in one
    /// transaction. `expected_version` (when not 0) must be the stored version.
    pub async fn upsert_value(
        &self,
        tenant: Tenant,
        key: &str,
        code: &str,
        change: &Change,
        expected_version: i64,
    ) -> Result<Upserted, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let revision = bump_revision(&txn, tenant, key).await?;
        let existing = in_list(tenant, key)
            .filter(Column::Code.eq(code))
            .one(&txn)
            .await?
            .map(to_domain);
        let now = now();
        let Some(current) = existing else {
            if expected_version != 0 {
                return Err(Error::NotFound {
                    entity: "value",
                    key: format!("{key}/{code}"),
                });
            }
            let Some(mut new) = change.create() else {
                return Err(Error::InvalidArgument(vec![(
                    "value.label".into(),
                    "is required to create a value".into(),
                )]));
            };
            if in_list(tenant, key).count(&txn).await? >= MAX_VALUES_PER_LIST {
                return Err(Error::FailedPrecondition(format!(
                    "the list {key} already holds {MAX_VALUES_PER_LIST} values"
                )));
            }
            if new.position == 0 {
                new.position = next_position(&txn, tenant, key, None).await?;
            }
            let value = ListValue {
                id: Uuid::now_v7(),
                organisation_id: tenant.id(),
                list_key: key.to_owned(),
                code: code.to_owned(),
                label: new.label,
                position: new.position,
                active: new.active,
                version: 1,
                created_at: now,
                updated_at: now,
            };
            list_value::Entity::insert(list_value::ActiveModel {
                id: Set(value.id),
                organisation_id: Set(value.organisation_id),
                list_key: Set(value.list_key.clone()),
                code: Set(value.code.clone()),
                label: Set(value.label.clone()),
                position: Set(value.position),
                active: Set(value.active),
                version: Set(value.version),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec_without_returning(&txn)
            .await?;
            txn.commit().await?;
            return Ok(Upserted {
                value,
                created: true,
                revision,
            });
        };
        if expected_version != 0 && expected_version != current.version {
            return Err(Error::VersionMismatch {
                code: code.to_owned(),
                expected: expected_version,
                current: current.version,
            });
        }
        let mut next = change.apply(&fields(&current));
        if next.position == 0 {
            let after_others = next_position(&txn, tenant, key, Some(current.id)).await?;
            // Already after every other value: "last" leaves it where it is.
            next.position = Ord::max(after_others, current.position);
        }
        if next == fields(&current) {
            // Nothing changes: the rollback undoes the revision bump too.
            drop(txn);
            let revision = self.list_revision(tenant, key).await?;
            return Ok(Upserted {
                value: current,
                created: false,
                revision,
            });
        }
        let current_version = current.version;
        let value = ListValue {
            label: next.label,
            position: next.position,
            active: next.active,
            version: current.version + 1,
            updated_at: now,
            ..current
        };
        list_value::Entity::update_many_in(tenant)
            .col_expr(Column::Label, Expr::value(value.label.clone()))
            .col_expr(Column::Position, Expr::value(value.position))
            .col_expr(Column::Active, Expr::value(value.active))
            .col_expr(Column::Version, Expr::value(value.version))
            .col_expr(Column::UpdatedAt, Expr::value(now))
            .filter(Column::Id.eq(value.id))
            .filter(Column::Version.eq(current_version))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(Upserted {
            value,
            created: false,
            revision,
        })
    }

    /// Deletes the value `code` of the list and returns the list's new revision.
    pub async fn delete_value(&self, tenant: Tenant, key: &str, code: &str) -> Result<i64, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let revision = bump_revision(&txn, tenant, key).await?;
        let deleted = list_value::Entity::delete_many_in(tenant)
            .filter(Column::ListKey.eq(key))
            .filter(Column::Code.eq(code))
            .exec(&txn)
            .await?;
        if deleted.rows_affected == 0 {
            return Err(Error::NotFound {
                entity: "value",
                key: format!("{key}/{code}"),
            });
        }
        txn.commit().await?;
        Ok(revision)
    }
}

/// Writes the default lists of a new organisation inside `txn` (the consumer's): codes
/// the organisation already has are left alone.
pub async fn seed_defaults(txn: &DatabaseTransaction, tenant: Tenant) -> Result<(), Error> {
    let now = now();
    for (key, values) in TENANT_DEFAULTS {
        bump_revision(txn, tenant, key).await?;
        let rows =
            values
                .iter()
                .zip(1..)
                .map(|((code, label), position)| list_value::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    organisation_id: Set(tenant.id()),
                    list_key: Set((*key).to_owned()),
                    code: Set((*code).to_owned()),
                    label: Set((*label).to_owned()),
                    position: Set(position),
                    active: Set(true),
                    version: Set(1),
                    created_at: Set(now),
                    updated_at: Set(now),
                });
        list_value::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([Column::OrganisationId, Column::ListKey, Column::Code])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}
