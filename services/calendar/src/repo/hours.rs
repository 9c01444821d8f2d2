//! Storage of working hours: one row per user who set theirs; everyone else has the
//! defaults.

use crm_db::{Tenant, TenantScoped};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, SqlErr,
};
use uuid::Uuid;

use super::{Repo, now};
use crate::domain::event::parse_zone;
use crate::domain::{HolidayCalendar, StoredHours, WorkingHours};
use crate::entity::working_hours::{self, Column, Entity};
use crate::error::Error;

fn to_domain(m: working_hours::Model) -> StoredHours {
    let defaults = WorkingHours::default_schedule();
    StoredHours {
        user_id: m.user_id,
        hours: WorkingHours {
            time_zone: parse_zone(&m.time_zone).unwrap_or(defaults.time_zone),
            calendar: HolidayCalendar::parse(&m.calendar).unwrap_or(defaults.calendar),
            periods: serde_json::from_str(&m.periods).unwrap_or(defaults.periods),
        },
        updated_at: Some(m.updated_at),
        version: m.version,
    }
}

impl Repo {
    /// Returns the working hours of each of `users`, in order: theirs or the defaults.
    pub async fn working_hours(
        &self,
        tenant: Tenant,
        users: &[Uuid],
    ) -> Result<Vec<StoredHours>, Error> {
        let rows = Entity::find_in(tenant)
            .filter(Column::UserId.is_in(users.iter().copied()))
            .all(&self.db)
            .await?;
        let stored: Vec<StoredHours> = rows.into_iter().map(to_domain).collect();
        Ok(users
            .iter()
            .map(|u| {
                stored
                    .iter()
                    .find(|s| s.user_id == *u)
                    .cloned()
                    .unwrap_or_else(|| StoredHours::default_for(*u))
            })
            .collect())
    }

    /// Replaces the working hours of `user`. `expected_version`, when not 0, must be the
    /// stored version (0 meaning the user still has the defaults).
    pub async fn set_working_hours(
        &self,
        tenant: Tenant,
        user: Uuid,
        hours: WorkingHours,
        expected_version: i64,
    ) -> Result<StoredHours, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let current = Entity::find_in(tenant)
            .filter(Column::UserId.eq(user))
            .one(&txn)
            .await?;
        let version = current.as_ref().map_or(0, |c| c.version);
        let mismatch = |current: i64| Error::VersionMismatch {
            what: format!("the working hours of {user}"),
            expected: expected_version,
            current,
        };
        if expected_version != 0 && expected_version != version {
            return Err(mismatch(version));
        }
        let at = now();
        let mut row = working_hours::ActiveModel {
            id: Set(Uuid::now_v7()),
            organisation_id: Set(tenant.id()),
            user_id: Set(user),
            time_zone: Set(hours.time_zone.name().to_owned()),
            calendar: Set(hours.calendar.as_str().to_owned()),
            periods: Set(serde_json::to_string(&hours.periods).unwrap_or_else(|_| "[]".into())),
            created_at: Set(at),
            updated_at: Set(at),
            version: Set(version + 1),
        };
        // A concurrent first set wins the unique (organisation, user) index; a
        // concurrent later one fails the version filter. Either way the loser retries.
        let lost = || mismatch(version + 1);
        match current {
            None => {
                Entity::insert(row)
                    .exec(&txn)
                    .await
                    .map_err(|e| match e.sql_err() {
                        Some(SqlErr::UniqueConstraintViolation(_)) => lost(),
                        _ => Error::Database(e),
                    })?;
            }
            Some(current) => {
                row.id = NotSet;
                row.created_at = NotSet;
                let result = Entity::update_many_in(tenant)
                    .set(row)
                    .filter(Column::Id.eq(current.id))
                    .filter(Column::Version.eq(current.version))
                    .exec(&txn)
                    .await?;
                if result.rows_affected != 1 {
                    return Err(lost());
                }
            }
        }
        txn.commit().await?;
        Ok(StoredHours {
            user_id: user,
            hours,
            updated_at: Some(at),
            version: version + 1,
        })
    }
}
