//! Contacts of company clients. A contact is visible to whoever sees its client; at most
//! one contact per client is primary, and making one primary makes the previous one not.

use crm_db::{Tenant, TenantScoped};
use sea_orm::sea_query::{Expr, ExprTrait as _};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{Repo, load_client, now, rows};
use crate::domain::contact::{Contact, ContactData, check_client_takes_contacts};
use crate::domain::{Client, Visibility};
use crate::entity::contact::{Column, Entity};
use crate::error::Error;

fn contact_not_found(id: Uuid) -> Error {
    Error::NotFound {
        entity: "contact",
        id,
    }
}

/// Returns a contact and its client, if the caller may see the client.
async fn load_contact<C: ConnectionTrait>(
    conn: &C,
    tenant: Tenant,
    id: Uuid,
    visibility: Visibility,
    lock: bool,
) -> Result<(Contact, Client), Error> {
    let contact = Entity::find_by_id_in(tenant, id)
        .one(conn)
        .await?
        .map(rows::contact_of)
        .ok_or_else(|| contact_not_found(id))?;
    // The client's row lock serialises changes to its contacts (the primary flag).
    let client = load_client(conn, tenant, contact.client_id, &visibility, lock)
        .await
        .map_err(|e| match e {
            Error::NotFound { .. } => contact_not_found(id),
            other => other,
        })?;
    Ok((contact, client))
}

/// Makes the client's primary contact, other than `except`, not primary.
async fn demote_primary<C: ConnectionTrait>(
    conn: &C,
    tenant: Tenant,
    client_id: Uuid,
    except: Option<Uuid>,
) -> Result<(), Error> {
    let mut update = Entity::update_many_in(tenant)
        .col_expr(Column::IsPrimary, Expr::value(false))
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .col_expr(Column::UpdatedAt, Expr::value(now()))
        .filter(Column::ClientId.eq(client_id))
        .filter(Column::IsPrimary.eq(true));
    if let Some(id) = except {
        update = update.filter(Column::Id.ne(id));
    }
    update.exec(conn).await?;
    Ok(())
}

fn precondition(client: &Client) -> Result<(), Error> {
    check_client_takes_contacts(client).map_err(|m| Error::FailedPrecondition(m.into()))
}

impl Repo {
    /// Adds a contact to a company client, or returns the one added earlier with
    /// `request_id`.
    pub async fn create_contact(
        &self,
        tenant: Tenant,
        client_id: Uuid,
        data: ContactData,
        request_id: Option<Uuid>,
        visibility: Visibility,
    ) -> Result<Contact, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let client = load_client(&txn, tenant, client_id, &visibility, true).await?;
        if let Some(request_id) = request_id {
            let earlier = Entity::find_in(tenant)
                .filter(Column::RequestId.eq(request_id))
                .one(&txn)
                .await?;
            if let Some(earlier) = earlier {
                return Ok(rows::contact_of(earlier));
            }
        }
        precondition(&client)?;
        if data.is_primary {
            demote_primary(&txn, tenant, client_id, None).await?;
        }
        let now = now();
        let contact = Contact {
            id: Uuid::now_v7(),
            organisation_id: tenant.id(),
            client_id,
            data,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        Entity::insert(rows::contact_row(&contact, request_id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(contact)
    }

    /// Returns a contact whose client the caller sees.
    pub async fn get_contact(
        &self,
        tenant: Tenant,
        id: Uuid,
        visibility: Visibility,
    ) -> Result<Contact, Error> {
        Ok(load_contact(&self.db, tenant, id, visibility, false)
            .await?
            .0)
    }

    /// Replaces a contact's fields with what `change` returns, in one transaction.
    /// `expected_version` (when not 0) must match the stored version.
    pub async fn update_contact<F>(
        &self,
        tenant: Tenant,
        id: Uuid,
        visibility: Visibility,
        expected_version: i64,
        change: F,
    ) -> Result<Contact, Error>
    where
        F: FnOnce(&Contact) -> Result<ContactData, Error>,
    {
        let txn = crm_db::begin_write(&self.db).await?;
        let (current, client) = load_contact(&txn, tenant, id, visibility, true).await?;
        precondition(&client)?;
        check_version(id, expected_version, current.version)?;
        let data = change(&current)?;
        if data.is_primary && !current.data.is_primary {
            demote_primary(&txn, tenant, current.client_id, Some(id)).await?;
        }
        let next = Contact {
            data,
            updated_at: now(),
            version: current.version + 1,
            ..current.clone()
        };
        let mut active = rows::contact_row(&next, None);
        active.request_id = sea_orm::ActiveValue::NotSet;
        let result = Entity::update_many_in(tenant)
            .set(active)
            .filter(Column::Id.eq(id))
            .filter(Column::Version.eq(current.version))
            .exec(&txn)
            .await?;
        if result.rows_affected != 1 {
            // A concurrent change won between the read and the write.
            return Err(Error::VersionMismatch {
                id,
                expected: current.version,
                current: current.version + 1,
            });
        }
        txn.commit().await?;
        Ok(next)
    }

    /// Returns up to `limit` contacts of a client after the id `after`, in the order
    /// they were added, and whether more follow.
    pub async fn list_contacts(
        &self,
        tenant: Tenant,
        client_id: Uuid,
        visibility: Visibility,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<(Vec<Contact>, bool), Error> {
        load_client(&self.db, tenant, client_id, &visibility, false).await?;
        let mut query = Entity::find_in(tenant).filter(Column::ClientId.eq(client_id));
        if let Some(after) = after {
            query = query.filter(Column::Id.gt(after));
        }
        let mut found = query
            .order_by_asc(Column::Id)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let more = found.len() as u64 > limit;
        found.truncate(limit as usize);
        Ok((found.into_iter().map(rows::contact_of).collect(), more))
    }

    /// Deletes a contact. `expected_version` (when not 0) must match the stored version.
    pub async fn delete_contact(
        &self,
        tenant: Tenant,
        id: Uuid,
        visibility: Visibility,
        expected_version: i64,
    ) -> Result<(), Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let (current, client) = load_contact(&txn, tenant, id, visibility, true).await?;
        precondition(&client)?;
        check_version(id, expected_version, current.version)?;
        Entity::delete_many_in(tenant)
            .filter(Column::Id.eq(id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        Ok(())
    }
}

/// Checks the caller's `expected` version (0: any) against the `current` one.
fn check_version(id: Uuid, expected: i64, current: i64) -> Result<(), Error> {
    if expected != 0 && expected != current {
        return Err(Error::VersionMismatch {
            id,
            expected,
            current,
        });
    }
    Ok(())
}
