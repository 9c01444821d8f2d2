//! The hierarchy in the database: the closure links, the per-organisation lock that
//! serialises changes to them, and the upline and team queries.
//!
//! Why a lock: a placement is checked by reading the manager's upline and the subject's
//! subtree, then written. Two concurrent moves (A under B, B under A) would each read a
//! hierarchy without the other's change and together commit a cycle; a move and a new
//! report deep in the moved subtree could together exceed the depth limit; a new report
//! could land under a manager being deactivated. So every transaction that changes the
//! hierarchy (create with a manager, change of manager, deactivation) first takes one
//! lock per organisation, and only then reads what it checks. On PostgreSQL that is a
//! transaction-scoped advisory lock (released at commit or rollback, so never leaked);
//! every statement after it reads the rows the previous holder committed, since READ
//! COMMITTED takes a new snapshot per statement. On SQLite, `crm_db::begin_write`
//! already holds the database's single write lock from BEGIN. Hierarchy changes are
//! rare, so serialising them within one organisation costs nothing noticeable; other
//! organisations are not affected (beyond the odd hash collision of two lock keys).

use crm_db::{Tenant, TenantScoped};
use sea_orm::sea_query::{Expr, ExprTrait as _, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};
use uuid::Uuid;

use crate::domain::Status;
use crate::domain::hierarchy::{self, Link};
use crate::entity::{commercial, link};
use crate::error::Error;

/// Rows per multi-row insert: 4 parameters each, well under every backend's limit.
const INSERT_CHUNK: usize = 500;

/// Takes the organisation's hierarchy lock until the transaction ends (see the module
/// documentation).
pub async fn lock(txn: &DatabaseTransaction, tenant: Tenant) -> Result<(), Error> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let id = tenant.id().as_u128();
    let key = ((id as u64) ^ ((id >> 64) as u64)) as i64;
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [key.into()],
    ))
    .await?;
    Ok(())
}

/// Returns the upline of `id` as ids: itself, its manager, and so on up to the top.
pub async fn upline_ids<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    id: Uuid,
) -> Result<Vec<Uuid>, Error> {
    let links = link::Entity::find_in(tenant)
        .filter(link::Column::DescendantId.eq(id))
        .order_by_asc(link::Column::Depth)
        .all(db)
        .await?;
    check_upline(id, links.iter().map(|l| (l.ancestor_id, l.depth)))?;
    Ok(links.into_iter().map(|l| l.ancestor_id).collect())
}

/// Checks an upline read from the links starts with the commercial itself and climbs
/// one level at a time, at most to the deepest level.
fn check_upline(id: Uuid, links: impl Iterator<Item = (Uuid, i32)>) -> Result<(), Error> {
    let mut count = 0;
    for (i, (ancestor, depth)) in links.enumerate() {
        if usize::try_from(depth).ok() != Some(i) || (i == 0 && ancestor != id) {
            return Err(Error::Corrupt(format!("upline of {id} skips a level")));
        }
        count += 1;
    }
    if count == 0 || count > hierarchy::MAX_DEPTH {
        return Err(Error::Corrupt(format!("upline of {id} has {count} levels")));
    }
    Ok(())
}

/// Returns the subtree of `id`: itself at distance 0 and every report, direct or not,
/// with their distance below it.
pub async fn subtree(
    txn: &DatabaseTransaction,
    tenant: Tenant,
    id: Uuid,
) -> Result<Vec<(Uuid, usize)>, Error> {
    let rows: Vec<(Uuid, i32)> = link::Entity::find_in(tenant)
        .filter(link::Column::AncestorId.eq(id))
        .select_only()
        .column(link::Column::DescendantId)
        .column(link::Column::Depth)
        .into_tuple()
        .all(txn)
        .await?;
    rows.into_iter()
        .map(|(d, depth)| {
            usize::try_from(depth)
                .map(|depth| (d, depth))
                .map_err(|_| Error::Corrupt(format!("negative depth under {id}")))
        })
        .collect()
}

/// Checks, under the lock, that `subject` (`None` for a new commercial) with a subtree
/// of `subtree_height` levels may report to `manager`, and returns the manager's upline.
pub async fn check_manager(
    txn: &DatabaseTransaction,
    tenant: Tenant,
    manager: Uuid,
    subject: Option<Uuid>,
    subtree_height: usize,
) -> Result<Vec<Uuid>, Error> {
    let Some(row) = commercial::Entity::find_by_id_in(tenant, manager)
        .one(txn)
        .await?
    else {
        return Err(Error::InvalidArgument(vec![(
            "commercial.manager_id".into(),
            "no such commercial".into(),
        )]));
    };
    let active = Status::parse(&row.status) == Some(Status::Active);
    let upline = upline_ids(txn, tenant, manager).await?;
    hierarchy::check_placement(subject, &upline, active, subtree_height)?;
    Ok(upline)
}

async fn insert_links(
    txn: &DatabaseTransaction,
    tenant: Tenant,
    links: Vec<Link>,
) -> Result<(), Error> {
    for chunk in links.chunks(INSERT_CHUNK) {
        let rows = chunk.iter().map(|l| link::ActiveModel {
            ancestor_id: Set(l.ancestor),
            descendant_id: Set(l.descendant),
            organisation_id: Set(tenant.id()),
            depth: Set(i32::try_from(l.depth).unwrap_or(i32::MAX)),
        });
        link::Entity::insert_many(rows)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// Records a new commercial `id` under the manager whose upline is `manager_upline`
/// (empty at the top).
pub async fn place_new(
    txn: &DatabaseTransaction,
    tenant: Tenant,
    id: Uuid,
    manager_upline: &[Uuid],
) -> Result<(), Error> {
    insert_links(txn, tenant, hierarchy::links_of_new(id, manager_upline)).await
}

/// Moves `id` and its `subtree` under the manager whose upline is `manager_upline`
/// (empty: to the top). Call under the lock, after [`check_manager`].
pub async fn move_subtree(
    txn: &DatabaseTransaction,
    tenant: Tenant,
    id: Uuid,
    subtree: &[(Uuid, usize)],
    manager_upline: &[Uuid],
) -> Result<(), Error> {
    let former: Vec<Uuid> = upline_ids(txn, tenant, id)
        .await?
        .into_iter()
        .skip(1)
        .collect();
    if !former.is_empty() {
        // The subtree's members, read by the database itself: a large team would not
        // fit in a list of bound parameters.
        let members = Query::select()
            .column(link::Column::DescendantId)
            .from(link::Entity)
            .and_where(link::Column::OrganisationId.eq(tenant.id()))
            .and_where(link::Column::AncestorId.eq(id))
            .to_owned();
        link::Entity::delete_many_in(tenant)
            .filter(link::Column::AncestorId.is_in(former))
            .filter(Expr::col(link::Column::DescendantId).in_subquery(members))
            .exec(txn)
            .await?;
    }
    insert_links(txn, tenant, hierarchy::links_under(manager_upline, subtree)).await
}

/// Returns the upline of `id` with each commercial's row and level (0 for `id`); empty
/// when the tenant has no commercial `id`.
pub async fn upline<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    id: Uuid,
) -> Result<Vec<(commercial::Model, usize)>, Error> {
    let rows = link::Entity::find_in(tenant)
        .filter(link::Column::DescendantId.eq(id))
        .order_by_asc(link::Column::Depth)
        .find_also_linked(link::ToAncestor)
        .all(db)
        .await?;
    if rows.is_empty() {
        // No such commercial in the tenant: the caller answers NOT_FOUND.
        return Ok(Vec::new());
    }
    check_upline(id, rows.iter().map(|(l, _)| (l.ancestor_id, l.depth)))?;
    rows.into_iter()
        .enumerate()
        .map(|(level, (l, row))| {
            row.map(|r| (r, level))
                .ok_or_else(|| Error::Corrupt(format!("link to missing {}", l.ancestor_id)))
        })
        .collect()
}

/// Returns up to `limit` reports of `id` (direct only, or at any depth) with their
/// distance below it, newest first after the report `after`, and whether more follow.
pub async fn team<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    id: Uuid,
    direct_only: bool,
    after: Option<Uuid>,
    limit: u64,
) -> Result<(Vec<(commercial::Model, usize)>, bool), Error> {
    let mut query = link::Entity::find_in(tenant).filter(link::Column::AncestorId.eq(id));
    query = if direct_only {
        query.filter(link::Column::Depth.eq(1))
    } else {
        query.filter(link::Column::Depth.gt(0))
    };
    if let Some(after) = after {
        query = query.filter(link::Column::DescendantId.lt(after));
    }
    let mut rows = query
        .order_by_desc(link::Column::DescendantId)
        .limit(limit + 1)
        .find_also_linked(link::ToDescendant)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let members = rows
        .into_iter()
        .map(|(l, row)| match (row, usize::try_from(l.depth)) {
            (Some(r), Ok(depth)) => Ok((r, depth)),
            _ => Err(Error::Corrupt(format!("bad link to {}", l.descendant_id))),
        })
        .collect::<Result<_, _>>()?;
    Ok((members, more))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uplines_must_climb_one_level_at_a_time() {
        let (x, m, top) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        assert!(check_upline(x, [(x, 0), (m, 1), (top, 2)].into_iter()).is_ok());
        assert!(check_upline(x, [(x, 0), (top, 2)].into_iter()).is_err());
        assert!(check_upline(x, [(m, 0)].into_iter()).is_err());
        assert!(check_upline(x, std::iter::empty()).is_err());
        let too_long: Vec<_> = (0..11).map(|i| (if i == 0 { x } else { m }, i)).collect();
        assert!(check_upline(x, too_long.into_iter()).is_err());
    }
}
