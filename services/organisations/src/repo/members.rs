//! Memberships: listing, reading, changing roles and removing members, with the owner
//! rules checked inside the transaction that makes the change.

use crm_db::{Tenant, TenantScoped};
use crm_kit::Role;
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{Repo, count_owners, lock_members, membership_from_row};
use crate::domain::{self, Membership};
use crate::entity::membership;
use crate::error::Error;
use crate::events::{self, Actor};

impl Repo {
    /// Returns up to `limit` members of the tenant after the membership `after`, in
    /// joining order, and whether more follow.
    pub async fn list_members(
        &self,
        tenant: Tenant,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<(Vec<Membership>, bool), Error> {
        let mut query = membership::Entity::find_in(tenant);
        if let Some(after) = after {
            query = query.filter(membership::Column::Id.gt(after));
        }
        let mut rows = query
            .order_by_asc(membership::Column::Id)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let members = rows
            .into_iter()
            .map(membership_from_row)
            .collect::<Result<_, _>>()?;
        Ok((members, more))
    }

    /// Returns `user`'s membership of the tenant.
    pub async fn get_membership(&self, tenant: Tenant, user: Uuid) -> Result<Membership, Error> {
        let row = membership::Entity::find_in(tenant)
            .filter(membership::Column::UserId.eq(user))
            .one(&self.db)
            .await?
            .ok_or_else(|| Error::not_found("membership", user))?;
        membership_from_row(row)
    }

    /// Gives `user` the role `next`, if a caller with role `caller` may: only owners
    /// grant or take away the owner role, and the last owner keeps it. The catalogue has
    /// no event for a role change, so none is published (the membership version still
    /// moves on, see events.rs).
    pub async fn update_role(
        &self,
        tenant: Tenant,
        user: Uuid,
        caller: Option<Role>,
        next: Role,
    ) -> Result<Membership, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        lock_members(&txn, tenant).await?;
        let mut member = self.member_in(&txn, tenant, user).await?;
        let owners = count_owners(&txn, tenant).await?;
        domain::check_role_change(caller, member.role, next, owners)?;
        if member.role == next {
            // Nothing changes; the transaction rolls back with the version bump.
            return Ok(member);
        }
        membership::Entity::update_many_in(tenant)
            .set(membership::ActiveModel {
                role: Set(next.as_str().to_owned()),
                ..Default::default()
            })
            .filter(membership::Column::Id.eq(member.id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        member.role = next;
        Ok(member)
    }

    /// Removes `user` from the tenant, if a caller with role `caller` may (`leaving`:
    /// the caller removes themselves). The last owner is never removed. Publishes
    /// `member.removed` with the change.
    pub async fn remove_member(
        &self,
        tenant: Tenant,
        user: Uuid,
        caller: Option<Role>,
        leaving: bool,
        actor: &Actor,
    ) -> Result<Membership, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let version = lock_members(&txn, tenant).await?;
        let member = self.member_in(&txn, tenant, user).await?;
        let owners = count_owners(&txn, tenant).await?;
        domain::check_removal(caller, leaving, member.role, owners)?;
        membership::Entity::delete_many_in(tenant)
            .filter(membership::Column::Id.eq(member.id))
            .exec(&txn)
            .await?;
        let removed = events::member_removed(&member, version, super::now(), actor);
        crm_events::append(&txn, removed).await?;
        txn.commit().await?;
        self.relay.notify_one();
        Ok(member)
    }

    async fn member_in<C: sea_orm::ConnectionTrait>(
        &self,
        db: &C,
        tenant: Tenant,
        user: Uuid,
    ) -> Result<Membership, Error> {
        let row = membership::Entity::find_in(tenant)
            .filter(membership::Column::UserId.eq(user))
            .one(db)
            .await?
            .ok_or_else(|| Error::not_found("membership", user))?;
        membership_from_row(row)
    }
}
