//! Organisations: creation with the creator as owner, reading, updating, and the
//! organisations of a user.

use chrono::{DateTime, Utc};
use crm_db::{Tenant, TenantScoped};
use crm_kit::Role;
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{ATTEMPTS, Repo, is_unique_violation, membership_from_row, organisation_from_row};
use crate::domain::{
    Membership, Organisation, OrganisationData, ValidOrganisation, slug_with_suffix,
};
use crate::entity::{membership, organisation};
use crate::error::Error;
use crate::events::{self, Actor, OWNER_ADDED_VERSION};

/// How many random suffixes are tried before a derived slug is given up on.
const SLUG_TRIES: usize = 5;

fn data_columns(d: &OrganisationData, now: DateTime<Utc>) -> organisation::ActiveModel {
    organisation::ActiveModel {
        name: Set(d.name.clone()),
        slug: Set(d.slug.clone()),
        legal_name: Set(d.legal_name.clone()),
        siren: Set(d.siren.clone()),
        country_code: Set(d.country_code.clone()),
        default_currency: Set(d.default_currency.clone()),
        time_zone: Set(d.time_zone.clone()),
        sepa_creditor_id: Set(d.sepa_creditor_id.clone()),
        invoice_prefix: Set(d.invoice_prefix.clone()),
        settings: Set(serde_json::to_string(&d.settings).unwrap_or_else(|_| "{}".into())),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Returns whether another organisation than `except` uses `slug`. Slugs are unique
/// across all organisations, so this one query looks beyond the tenant: it reads no
/// data, only whether the name is taken.
async fn slug_taken<C: ConnectionTrait>(
    db: &C,
    slug: &str,
    except: Option<Uuid>,
) -> Result<bool, Error> {
    #[allow(clippy::disallowed_methods)]
    let mut query = organisation::Entity::find().filter(organisation::Column::Slug.eq(slug));
    if let Some(id) = except {
        query = query.filter(organisation::Column::Id.ne(id));
    }
    Ok(query.one(db).await?.is_some())
}

/// Returns a free slug: `valid`'s own, or for a derived one a suffixed variant. A slug the
/// caller chose and another organisation holds is ALREADY_EXISTS.
async fn free_slug<C: ConnectionTrait>(
    db: &C,
    valid: &ValidOrganisation,
    except: Option<Uuid>,
) -> Result<String, Error> {
    let base = &valid.data.slug;
    if !slug_taken(db, base, except).await? {
        return Ok(base.clone());
    }
    if !valid.slug_derived {
        return Err(Error::AlreadyExists(format!(
            "the slug {base:?} is already taken"
        )));
    }
    for _ in 0..SLUG_TRIES {
        let random = Uuid::new_v4().simple().to_string();
        let candidate = slug_with_suffix(base, &random[..6]);
        if !slug_taken(db, &candidate, except).await? {
            return Ok(candidate);
        }
    }
    Err(Error::AlreadyExists(
        "no free slug could be derived from the name; choose one".into(),
    ))
}

impl Repo {
    /// Creates an organisation with `creator` as its owner, in one transaction with its
    /// `organisation.created` and `member.added` events, or returns the one `creator`
    /// made earlier with `request_id` (publishing nothing again).
    pub async fn create_organisation(
        &self,
        creator: Uuid,
        valid: ValidOrganisation,
        request_id: Option<Uuid>,
        actor: &Actor,
    ) -> Result<Organisation, Error> {
        for _ in 0..ATTEMPTS {
            if let Some(request_id) = request_id {
                // The caller has no tenant yet: the retry is found by its creator and
                // request id, which only that creator's calls can name.
                #[allow(clippy::disallowed_methods)]
                let earlier = organisation::Entity::find()
                    .filter(organisation::Column::CreatedBy.eq(creator))
                    .filter(organisation::Column::RequestId.eq(request_id))
                    .one(&self.db)
                    .await?;
                if let Some(earlier) = earlier {
                    return organisation_from_row(earlier);
                }
            }
            let slug = free_slug(&self.db, &valid, None).await?;
            let now = super::now();
            let mut data = valid.data.clone();
            data.slug = slug;
            let org = Organisation {
                id: Uuid::now_v7(),
                data,
                created_at: now,
                updated_at: now,
            };
            let mut row = data_columns(&org.data, now);
            row.id = Set(org.id);
            row.created_by = Set(creator);
            row.request_id = Set(request_id);
            // Version 1 is the creation, version 2 the creator joining (see events.rs).
            row.membership_version = Set(OWNER_ADDED_VERSION);
            row.created_at = Set(now);
            let member = Membership {
                id: Uuid::now_v7(),
                organisation_id: org.id,
                user_id: creator,
                role: Role::Owner,
                commercial_id: None,
                created_at: now,
            };
            let owner = membership::ActiveModel {
                id: Set(member.id),
                organisation_id: Set(org.id),
                user_id: Set(creator),
                role: Set(Role::Owner.as_str().to_owned()),
                commercial_id: Set(None),
                created_at: Set(now),
            };
            // Every read above ran outside the transaction; it takes the write lock
            // first (SQLite), so writers queue on the busy timeout instead of failing.
            let txn = crm_db::begin_write(&self.db).await?;
            let inserted = match organisation::Entity::insert(row).exec(&txn).await {
                Ok(_) => membership::Entity::insert(owner).exec(&txn).await,
                Err(e) => Err(e),
            };
            match inserted {
                Ok(_) => {
                    crm_events::append(&txn, events::organisation_created(&org, creator, actor))
                        .await?;
                    let added = events::member_added(&member, OWNER_ADDED_VERSION, None, actor);
                    crm_events::append(&txn, added).await?;
                    txn.commit().await?;
                    self.relay.notify_one();
                    return Ok(org);
                }
                // A concurrent create took the slug or the request id: look again.
                Err(e) if is_unique_violation(&e) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(Error::AlreadyExists(
            "the slug was taken concurrently; try again".into(),
        ))
    }

    /// Returns the tenant's own organisation.
    pub async fn get_organisation(&self, tenant: Tenant) -> Result<Organisation, Error> {
        let row = organisation::Entity::find_in(tenant)
            .one(&self.db)
            .await?
            .ok_or_else(|| Error::not_found("organisation", tenant.id()))?;
        organisation_from_row(row)
    }

    /// Applies `change` to the tenant's organisation in one transaction; a slug another
    /// organisation holds is ALREADY_EXISTS (or suffixed when derived from the name).
    pub async fn update_organisation<F>(
        &self,
        tenant: Tenant,
        change: F,
    ) -> Result<Organisation, Error>
    where
        F: FnOnce(&Organisation) -> Result<ValidOrganisation, Error>,
    {
        let txn = crm_db::begin_write(&self.db).await?;
        let current = organisation::Entity::find_in(tenant)
            .one(&txn)
            .await?
            .ok_or_else(|| Error::not_found("organisation", tenant.id()))
            .and_then(organisation_from_row)?;
        let valid = change(&current)?;
        let mut next = current.clone();
        next.data = valid.data.clone();
        if next.data.slug != current.data.slug {
            next.data.slug = free_slug(&txn, &valid, Some(current.id)).await?;
        }
        next.updated_at = super::now();
        organisation::Entity::update_many_in(tenant)
            .set(data_columns(&next.data, next.updated_at))
            .exec(&txn)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    Error::AlreadyExists(format!("the slug {:?} is already taken", next.data.slug))
                } else {
                    e.into()
                }
            })?;
        txn.commit().await?;
        Ok(next)
    }

    /// Returns up to `limit` of `user`'s memberships after the membership `after`, in
    /// joining order, each with its organisation, and whether more follow.
    pub async fn list_my_organisations(
        &self,
        user: Uuid,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<(Vec<(Membership, Organisation)>, bool), Error> {
        // The one query across tenants: a user's own memberships in every organisation.
        // It is safe because it filters on the verified caller's user id, so it returns
        // only rows that name that user, and the organisations those rows point to.
        #[allow(clippy::disallowed_methods)]
        let mut query = membership::Entity::find().filter(membership::Column::UserId.eq(user));
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
        let ids: Vec<Uuid> = rows.iter().map(|m| m.organisation_id).collect();
        #[allow(clippy::disallowed_methods)]
        let orgs = organisation::Entity::find()
            .filter(organisation::Column::Id.is_in(ids))
            .all(&self.db)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let org = orgs
                .iter()
                .find(|o| o.id == row.organisation_id)
                .cloned()
                .ok_or_else(|| Error::not_found("organisation", row.organisation_id))?;
            out.push((membership_from_row(row)?, organisation_from_row(org)?));
        }
        Ok((out, more))
    }
}
