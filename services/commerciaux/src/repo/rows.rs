//! Rows of the `commerciaux` table: conversions to and from the domain, and the checks
//! and writes every change shares.

use crm_db::{Tenant, TenantScoped};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect, SqlErr};
use uuid::Uuid;

use crate::domain::{Commercial, CommercialData, Status};
use crate::entity::commercial::{self, Column, Entity};
use crate::error::Error;

pub(super) fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub(super) fn to_domain(m: commercial::Model) -> Commercial {
    Commercial {
        id: m.id,
        organisation_id: m.organisation_id,
        data: CommercialData {
            code: m.code,
            first_name: m.first_name,
            last_name: m.last_name,
            email: m.email,
            phone: m.phone,
            user_id: m.user_id,
            manager_id: m.manager_id,
            team: m.team,
            // A status this code does not know never takes new reports.
            status: Status::parse(&m.status).unwrap_or(Status::Inactive),
            commission_plan_id: m.commission_plan_id,
            hire_date: m.hire_date,
        },
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }
}

pub(super) fn to_active(c: &Commercial, request_id: Option<Uuid>) -> commercial::ActiveModel {
    let d = &c.data;
    commercial::ActiveModel {
        id: Set(c.id),
        organisation_id: Set(c.organisation_id),
        code: Set(d.code.clone()),
        code_key: Set(d.code_key()),
        first_name: Set(d.first_name.clone()),
        last_name: Set(d.last_name.clone()),
        email: Set(d.email.clone()),
        phone: Set(d.phone.clone()),
        user_id: Set(d.user_id),
        manager_id: Set(d.manager_id),
        team: Set(d.team.clone()),
        status: Set(d.status.as_str().to_owned()),
        commission_plan_id: Set(d.commission_plan_id),
        hire_date: Set(d.hire_date),
        search_text: Set(d.search_text()),
        request_id: Set(request_id),
        created_at: Set(c.created_at),
        updated_at: Set(c.updated_at),
        version: Set(c.version),
    }
}

pub(super) fn is_unique_violation(e: &Error) -> bool {
    matches!(e, Error::Database(db) if matches!(db.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))))
}

pub(super) fn check_version(current: &Commercial, expected: i64) -> Result<(), Error> {
    if expected != 0 && expected != current.version {
        return Err(Error::VersionMismatch {
            id: current.id,
            expected,
            current: current.version,
        });
    }
    Ok(())
}

/// Writes `next` over `current`, provided nobody changed it since it was read.
pub(super) async fn write<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    current: &Commercial,
    next: &Commercial,
) -> Result<(), Error> {
    let mut active = to_active(next, None);
    // The request id belongs to the creation; an update leaves it as it was.
    active.request_id = sea_orm::ActiveValue::NotSet;
    let result = Entity::update_many_in(tenant)
        .set(active)
        .filter(Column::Id.eq(current.id))
        .filter(Column::Version.eq(current.version))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Err(Error::VersionMismatch {
            id: current.id,
            expected: current.version,
            current: current.version + 1,
        });
    }
    Ok(())
}

/// Checks no other commercial of the tenant has the code or the linked user of `data`.
pub(super) async fn ensure_unique<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    data: &CommercialData,
    except: Option<Uuid>,
) -> Result<(), Error> {
    let others = || {
        let query = Entity::find_in(tenant).select_only().column(Column::Id);
        match except {
            Some(id) => query.filter(Column::Id.ne(id)),
            None => query,
        }
    };
    let code = others()
        .filter(Column::CodeKey.eq(data.code_key()))
        .into_tuple::<Uuid>()
        .one(db)
        .await?;
    if code.is_some() {
        return Err(Error::CodeTaken(data.code.clone()));
    }
    if let Some(user) = data.user_id {
        let linked = others()
            .filter(Column::UserId.eq(user))
            .into_tuple::<Uuid>()
            .one(db)
            .await?;
        if linked.is_some() {
            return Err(Error::UserTaken(user));
        }
    }
    Ok(())
}
