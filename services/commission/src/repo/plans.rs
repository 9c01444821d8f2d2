//! Storage of plans: one default per organisation, names unique without regard to case,
//! optimistic versions, idempotent creation by request id.

use crm_db::{Tenant, TenantScoped};
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{
    ActiveValue::NotSet, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, SqlErr,
};
use uuid::Uuid;

use super::rows::{name_key, plan_to_active, plan_to_domain};
use super::{Repo, now};
use crate::domain::plan::{Plan, PlanData, PlanStatus};
use crate::entity::plan::{Column, Entity};
use crate::error::Error;

fn not_found(id: Uuid) -> Error {
    Error::NotFound(format!("plan {id}"))
}

fn name_taken(name: &str) -> Error {
    Error::AlreadyExists(format!("a plan named {name:?} already exists"))
}

async fn find<C: ConnectionTrait>(db: &C, tenant: Tenant, id: Uuid) -> Result<Plan, Error> {
    let row = Entity::find_by_id_in(tenant, id).one(db).await?;
    row.map(plan_to_domain)
        .transpose()?
        .ok_or_else(|| not_found(id))
}

async fn by_request<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    request_id: Uuid,
) -> Result<Option<Plan>, Error> {
    let row = Entity::find_in(tenant)
        .filter(Column::RequestId.eq(request_id))
        .one(db)
        .await?;
    Ok(row.map(plan_to_domain).transpose()?)
}

/// Refuses a name another plan of the organisation has.
async fn check_name<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    name: &str,
    except: Option<Uuid>,
) -> Result<(), Error> {
    let mut query = Entity::find_in(tenant).filter(Column::NameKey.eq(name_key(name)));
    if let Some(id) = except {
        query = query.filter(Column::Id.ne(id));
    }
    match query.one(db).await? {
        Some(_) => Err(name_taken(name)),
        None => Ok(()),
    }
}

/// Takes the default flag from every other plan of the organisation.
async fn clear_default<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    except: Uuid,
) -> Result<(), DbErr> {
    Entity::update_many_in(tenant)
        .col_expr(Column::IsDefault, Expr::value(false))
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .col_expr(Column::UpdatedAt, Expr::value(now()))
        .filter(Column::IsDefault.eq(true))
        .filter(Column::Id.ne(except))
        .exec(db)
        .await?;
    Ok(())
}

fn unique_violation(e: &DbErr) -> bool {
    matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Returns the plan that applies to a seller: the plan assigned to them when it is an
/// active plan of the organisation, else the organisation's default plan.
pub async fn applicable<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    assigned: Option<Uuid>,
) -> Result<Option<Plan>, DbErr> {
    let active = PlanStatus::Active.as_str();
    if let Some(id) = assigned {
        let row = Entity::find_by_id_in(tenant, id)
            .filter(Column::Status.eq(active))
            .one(db)
            .await?;
        if let Some(row) = row {
            return plan_to_domain(row).map(Some);
        }
    }
    let row = Entity::find_in(tenant)
        .filter(Column::IsDefault.eq(true))
        .filter(Column::Status.eq(active))
        .one(db)
        .await?;
    row.map(plan_to_domain).transpose()
}

impl Repo {
    /// Creates a plan, or returns the one created earlier with `request_id`.
    pub async fn create_plan(
        &self,
        tenant: Tenant,
        data: PlanData,
        request_id: Option<Uuid>,
    ) -> Result<Plan, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        if let Some(request_id) = request_id
            && let Some(earlier) = by_request(&txn, tenant, request_id).await?
        {
            return Ok(earlier);
        }
        check_name(&txn, tenant, &data.name, None).await?;
        let at = now();
        let plan = Plan {
            id: Uuid::now_v7(),
            organisation_id: tenant.id(),
            data,
            status: PlanStatus::Active,
            created_at: at,
            updated_at: at,
            version: 1,
        };
        if plan.data.is_default {
            clear_default(&txn, tenant, plan.id).await?;
        }
        match Entity::insert(plan_to_active(&plan, request_id)?)
            .exec(&txn)
            .await
        {
            Ok(_) => {}
            Err(e) if unique_violation(&e) => {
                // A concurrent creation won: the same request id returns its plan, the
                // same name is a conflict, another default a race to retry.
                txn.rollback().await?;
                if let Some(request_id) = request_id
                    && let Some(earlier) = by_request(&self.db, tenant, request_id).await?
                {
                    return Ok(earlier);
                }
                return Err(
                    match check_name(&self.db, tenant, &plan.data.name, None).await {
                        Err(taken) => taken,
                        Ok(()) => Error::Concurrent(
                            "another default plan was created at the same time; retry".into(),
                        ),
                    },
                );
            }
            Err(e) => return Err(e.into()),
        }
        txn.commit().await?;
        Ok(plan)
    }

    /// Returns a plan of the organisation.
    pub async fn get_plan(&self, tenant: Tenant, id: Uuid) -> Result<Plan, Error> {
        find(&self.db, tenant, id).await
    }

    /// Applies `change` to an active plan checked against `version` (0: any), in one
    /// transaction; a change that changes nothing writes nothing.
    pub async fn update_plan<F>(
        &self,
        tenant: Tenant,
        id: Uuid,
        version: i64,
        change: F,
    ) -> Result<Plan, Error>
    where
        F: FnOnce(&Plan) -> Result<PlanData, Error>,
    {
        let txn = crm_db::begin_write(&self.db).await?;
        let current = find(&txn, tenant, id).await?;
        check_version(&current, version)?;
        if current.status == PlanStatus::Archived {
            return Err(Error::FailedPrecondition(format!("plan {id} is archived")));
        }
        let data = change(&current)?;
        if data == current.data {
            return Ok(current);
        }
        if name_key(&data.name) != name_key(&current.data.name) {
            check_name(&txn, tenant, &data.name, Some(id)).await?;
        }
        if data.is_default && !current.data.is_default {
            clear_default(&txn, tenant, id).await?;
        }
        let next = Plan {
            data,
            updated_at: now(),
            version: current.version + 1,
            ..current.clone()
        };
        write(&txn, tenant, &current, &next).await?;
        txn.commit().await?;
        Ok(next)
    }

    /// Archives an active plan that is not the default.
    pub async fn archive_plan(
        &self,
        tenant: Tenant,
        id: Uuid,
        version: i64,
    ) -> Result<Plan, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let current = find(&txn, tenant, id).await?;
        check_version(&current, version)?;
        if current.status == PlanStatus::Archived {
            return Err(Error::FailedPrecondition(format!(
                "plan {id} is already archived"
            )));
        }
        if current.data.is_default {
            return Err(Error::FailedPrecondition(
                "the default plan cannot be archived; make another plan the default first".into(),
            ));
        }
        let next = Plan {
            status: PlanStatus::Archived,
            updated_at: now(),
            version: current.version + 1,
            ..current.clone()
        };
        write(&txn, tenant, &current, &next).await?;
        txn.commit().await?;
        Ok(next)
    }

    /// Returns up to `limit` plans after `after` (newest first), and whether more follow.
    pub async fn list_plans(
        &self,
        tenant: Tenant,
        show_archived: bool,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<(Vec<Plan>, bool), Error> {
        let mut query = Entity::find_in(tenant);
        if !show_archived {
            query = query.filter(Column::Status.eq(PlanStatus::Active.as_str()));
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
        let plans = rows
            .into_iter()
            .map(plan_to_domain)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((plans, more))
    }
}

fn check_version(current: &Plan, expected: i64) -> Result<(), Error> {
    if expected != 0 && expected != current.version {
        return Err(Error::VersionMismatch {
            expected,
            current: current.version,
        });
    }
    Ok(())
}

/// Writes `next` over `current`, refusing a concurrent change (PostgreSQL).
async fn write<C: ConnectionTrait>(
    txn: &C,
    tenant: Tenant,
    current: &Plan,
    next: &Plan,
) -> Result<(), Error> {
    let mut active = plan_to_active(next, None)?;
    active.request_id = NotSet;
    let result = Entity::update_many_in(tenant)
        .set(active)
        .filter(Column::Id.eq(current.id))
        .filter(Column::Version.eq(current.version))
        .exec(txn)
        .await;
    match result {
        Ok(r) if r.rows_affected == 1 => Ok(()),
        Ok(_) => Err(Error::VersionMismatch {
            expected: current.version,
            current: current.version + 1,
        }),
        // The name and the default flag were checked in this transaction: a conflict now
        // is a concurrent change (PostgreSQL).
        Err(e) if unique_violation(&e) => Err(Error::Concurrent(
            "another plan took this name or the default flag at the same time; retry".into(),
        )),
        Err(e) => Err(e.into()),
    }
}
