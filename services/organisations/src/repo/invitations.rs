//! Invitations: issuing (replacing a pending one for the same address), listing,
//! accepting once, and revoking.

use chrono::{DateTime, Utc};
use crm_db::{Tenant, TenantScoped};
use crm_kit::Role;
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{ATTEMPTS, Repo, invitation_from_row, is_unique_violation, lock_members};
use crate::domain::{Invitation, Membership, Refusal, Stored, invitation_ttl};
use crate::entity::{invitation, membership};
use crate::error::Error;
use crate::events::{self, Actor};
use crate::token;

/// The invitation to make.
#[derive(Debug, Clone)]
pub struct NewInvitation {
    /// Lowercase address.
    pub email: String,
    /// Role granted on acceptance.
    pub role: Role,
    /// The member inviting.
    pub invited_by: Uuid,
    /// Makes retries return the same invitation.
    pub request_id: Option<Uuid>,
}

impl Repo {
    /// Issues an invitation, revoking any pending one for the same address, and returns
    /// it with its token, publishing `invitation.created` (with the token, for the
    /// e-mail service) in the same transaction. A retry with the same request id
    /// returns the first invitation without a token and publishes nothing: only its
    /// hash was kept.
    pub async fn invite(
        &self,
        tenant: Tenant,
        new: NewInvitation,
        actor: &Actor,
    ) -> Result<(Invitation, Option<String>), Error> {
        for _ in 0..ATTEMPTS {
            if let Some(request_id) = new.request_id {
                let earlier = invitation::Entity::find_in(tenant)
                    .filter(invitation::Column::RequestId.eq(request_id))
                    .one(&self.db)
                    .await?;
                if let Some(earlier) = earlier {
                    return Ok((invitation_from_row(earlier)?, None));
                }
            }
            let issued = token::issue()?;
            let now = super::now();
            let created = Invitation {
                id: Uuid::now_v7(),
                organisation_id: tenant.id(),
                email: new.email.clone(),
                role: new.role,
                stored: Stored::Pending,
                expires_at: now + invitation_ttl(),
                invited_by: new.invited_by,
                created_at: now,
            };
            let row = invitation::ActiveModel {
                id: Set(created.id),
                organisation_id: Set(created.organisation_id),
                email: Set(created.email.clone()),
                role: Set(created.role.as_str().to_owned()),
                state: Set(Stored::Pending.as_str().to_owned()),
                token_hash: Set(issued.hash),
                expires_at: Set(created.expires_at),
                invited_by: Set(created.invited_by),
                request_id: Set(new.request_id),
                accepted_by: Set(None),
                accepted_at: Set(None),
                revoked_at: Set(None),
                created_at: Set(now),
            };
            // Starts with a write (see create_organisation): the replaced invitation is
            // revoked and the new one inserted together, or neither.
            let txn = crm_db::begin_write(&self.db).await?;
            let revoked = invitation::Entity::update_many_in(tenant)
                .set(revoked_columns(now))
                .filter(invitation::Column::Email.eq(new.email.as_str()))
                .filter(invitation::Column::State.eq(Stored::Pending.as_str()))
                .exec(&txn)
                .await;
            let inserted = match revoked {
                Ok(_) => invitation::Entity::insert(row).exec(&txn).await,
                Err(e) => Err(e),
            };
            match inserted {
                Ok(_) => {
                    let event = events::invitation_created(&created, &issued.token, actor);
                    crm_events::append(&txn, event).await?;
                    txn.commit().await?;
                    self.relay.notify_one();
                    return Ok((created, Some(issued.token)));
                }
                // A concurrent invitation of the same address or with the same request
                // id won: look again (and replace it, or return it).
                Err(e) if is_unique_violation(&e) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::AlreadyExists(
            "the address was invited concurrently; try again".into(),
        ))
    }

    /// Returns up to `limit` invitations of the tenant before the invitation `before`,
    /// newest first, and whether more follow.
    pub async fn list_invitations(
        &self,
        tenant: Tenant,
        before: Option<Uuid>,
        limit: u64,
    ) -> Result<(Vec<Invitation>, bool), Error> {
        let mut query = invitation::Entity::find_in(tenant);
        if let Some(before) = before {
            query = query.filter(invitation::Column::Id.lt(before));
        }
        let mut rows = query
            .order_by_desc(invitation::Column::Id)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let list = rows
            .into_iter()
            .map(invitation_from_row)
            .collect::<Result<_, _>>()?;
        Ok((list, more))
    }

    /// Makes `user` a member of the organisation of the invitation whose token hashes to
    /// `token_hash`, with its role, and spends the invitation, in one transaction with
    /// its `member.added` event.
    pub async fn accept(
        &self,
        token_hash: &str,
        user: Uuid,
        now: DateTime<Utc>,
        actor: &Actor,
    ) -> Result<Membership, Error> {
        // Found across tenants on purpose: the invitee belongs to no tenant yet, and the
        // token (unguessable, stored only as its unique hash) is what names the
        // organisation. Everything after this uses that organisation as the tenant.
        #[allow(clippy::disallowed_methods)]
        let row = invitation::Entity::find()
            .filter(invitation::Column::TokenHash.eq(token_hash))
            .one(&self.db)
            .await?
            .ok_or_else(|| Error::not_found("invitation", "for this token"))?;
        let found = invitation_from_row(row)?;
        if let Some(refusal) = found.refusal(now) {
            return Err(refusal.into());
        }
        let tenant = Tenant::new(found.organisation_id);
        let txn = crm_db::begin_write(&self.db).await?;
        // Spends the invitation only if it is still pending: of two concurrent accepts,
        // one updates the row and the other sees zero rows affected.
        let spent = invitation::Entity::update_many_in(tenant)
            .set(invitation::ActiveModel {
                state: Set(Stored::Accepted.as_str().to_owned()),
                accepted_by: Set(Some(user)),
                accepted_at: Set(Some(now)),
                ..Default::default()
            })
            .filter(invitation::Column::Id.eq(found.id))
            .filter(invitation::Column::State.eq(Stored::Pending.as_str()))
            .filter(invitation::Column::ExpiresAt.gt(now))
            .exec(&txn)
            .await?;
        if spent.rows_affected != 1 {
            drop(txn);
            let refusal = self
                .invitation_state(tenant, found.id, now)
                .await?
                .unwrap_or(Refusal::WrongState(
                    "the invitation has already been accepted",
                ));
            return Err(refusal.into());
        }
        let version = lock_members(&txn, tenant).await?;
        let already = membership::Entity::find_in(tenant)
            .filter(membership::Column::UserId.eq(user))
            .one(&txn)
            .await?;
        if already.is_some() {
            return Err(Error::AlreadyExists(
                "the user is already a member of this organisation".into(),
            ));
        }
        let member = Membership {
            id: Uuid::now_v7(),
            organisation_id: tenant.id(),
            user_id: user,
            role: found.role,
            commercial_id: None,
            created_at: now,
        };
        let row = membership::ActiveModel {
            id: Set(member.id),
            organisation_id: Set(member.organisation_id),
            user_id: Set(user),
            role: Set(member.role.as_str().to_owned()),
            commercial_id: Set(None),
            created_at: Set(now),
        };
        match membership::Entity::insert(row).exec(&txn).await {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => {
                return Err(Error::AlreadyExists(
                    "the user is already a member of this organisation".into(),
                ));
            }
            Err(e) => return Err(e.into()),
        }
        let added = events::member_added(&member, version, Some(found.id), actor);
        crm_events::append(&txn, added).await?;
        txn.commit().await?;
        self.relay.notify_one();
        Ok(member)
    }

    /// Revokes a pending invitation of the tenant.
    pub async fn revoke(
        &self,
        tenant: Tenant,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Invitation, Error> {
        let done = invitation::Entity::update_many_in(tenant)
            .set(revoked_columns(now))
            .filter(invitation::Column::Id.eq(id))
            .filter(invitation::Column::State.eq(Stored::Pending.as_str()))
            .filter(invitation::Column::ExpiresAt.gt(now))
            .exec(&self.db)
            .await?;
        let row = invitation::Entity::find_by_id_in(tenant, id)
            .one(&self.db)
            .await?
            .ok_or_else(|| Error::not_found("invitation", id))?;
        let invitation = invitation_from_row(row)?;
        if done.rows_affected != 1 {
            return Err(Error::FailedPrecondition(
                "only a pending invitation can be revoked".into(),
            ));
        }
        Ok(invitation)
    }

    /// Returns why the invitation `id` cannot be accepted at `now`, if it cannot.
    async fn invitation_state(
        &self,
        tenant: Tenant,
        id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Option<Refusal>, Error> {
        let row = invitation::Entity::find_by_id_in(tenant, id)
            .one(&self.db)
            .await?
            .ok_or_else(|| Error::not_found("invitation", id))?;
        Ok(invitation_from_row(row)?.refusal(now))
    }
}

fn revoked_columns(now: DateTime<Utc>) -> invitation::ActiveModel {
    invitation::ActiveModel {
        state: Set(Stored::Revoked.as_str().to_owned()),
        revoked_at: Set(Some(now)),
        ..Default::default()
    }
}
