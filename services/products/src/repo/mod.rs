//! Storage of products and their price periods. Every query goes through the
//! tenant-scoped helpers; every change writes its event into the outbox in the same
//! transaction and wakes the relay once committed.

use std::sync::Arc;

use chrono::{NaiveDate, SubsecRound as _, Utc};
use crm_db::{Tenant, TenantScoped};
use sea_orm::sea_query::{Expr, ExprTrait as _, LikeExpr};
use sea_orm::{
    ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use tokio::sync::Notify;
use uuid::Uuid;

use crate::domain::{
    Frequency, Kind, PricePeriod, PricedProduct, Product, ProductData, Status, VatCategory,
};
use crate::entity::product::{self, Column, Entity};
use crate::error::Error;
use crate::events::{self, Actor};

mod prices;

/// Filters of ListProducts.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Only this status; archived products are left out unless asked for.
    pub status: Option<Status>,
    /// Only this category (lowercase).
    pub category: Option<String>,
    /// Only this kind.
    pub kind: Option<Kind>,
    /// Lowercase text to find in codes and names.
    pub query: Option<String>,
}

/// A change UpdateProduct or ArchiveProduct makes: the product after it and the paths
/// of the fields that changed (none: nothing to write).
pub type Change = (Product, Vec<String>);

/// The products store.
#[derive(Debug, Clone)]
pub struct Repo {
    db: DatabaseConnection,
    relay: Arc<Notify>,
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn to_domain(m: product::Model) -> Product {
    Product {
        id: m.id,
        organisation_id: m.organisation_id,
        data: ProductData {
            code: m.code,
            name: m.name,
            description: m.description,
            category: m.category,
            kind: Kind::parse(&m.kind).unwrap_or(Kind::OneOff),
            frequency: m.billing_frequency.as_deref().and_then(Frequency::parse),
            vat_category: VatCategory::parse(&m.vat_category).unwrap_or(VatCategory::Standard),
        },
        status: Status::parse(&m.status).unwrap_or(Status::Active),
        currency: m.currency_code,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    }
}

fn to_active(p: &Product, request_id: Option<Uuid>) -> product::ActiveModel {
    let d = &p.data;
    product::ActiveModel {
        id: Set(p.id),
        organisation_id: Set(p.organisation_id),
        code: Set(d.code.clone()),
        code_key: Set(d.code_key()),
        name: Set(d.name.clone()),
        description: Set(d.description.clone()),
        category: Set(d.category.clone()),
        category_key: Set(d.category.to_lowercase()),
        kind: Set(d.kind.as_str().to_owned()),
        billing_frequency: Set(d.frequency.map(|f| f.as_str().to_owned())),
        vat_category: Set(d.vat_category.as_str().to_owned()),
        status: Set(p.status.as_str().to_owned()),
        currency_code: Set(p.currency.clone()),
        search_text: Set(d.search_text()),
        request_id: Set(request_id),
        created_at: Set(p.created_at),
        updated_at: Set(p.updated_at),
        version: Set(p.version),
    }
}

/// Returns today's date (UTC), the day "current price" refers to.
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Returns the current instant as both backends store it (PostgreSQL keeps
/// microseconds).
fn now() -> chrono::DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

impl Repo {
    /// Returns a store over `db` that wakes `relay` after each committed change.
    pub fn new(db: DatabaseConnection, relay: Arc<Notify>) -> Self {
        Self { db, relay }
    }

    /// Inserts a new product with its optional first price `(amount, valid_from)`, or
    /// returns the one created earlier with `request_id`.
    pub async fn create(
        &self,
        tenant: Tenant,
        data: ProductData,
        currency: String,
        initial_price: Option<(i64, NaiveDate)>,
        request_id: Option<Uuid>,
        actor: &Actor,
    ) -> Result<PricedProduct, Error> {
        let today = today();
        let txn = crm_db::begin_write(&self.db).await?;
        if let Some(request_id) = request_id {
            let earlier = Entity::find_in(tenant)
                .filter(Column::RequestId.eq(request_id))
                .one(&txn)
                .await?;
            if let Some(earlier) = earlier {
                let product = to_domain(earlier);
                let current_price = prices::covering(&txn, tenant, product.id, today).await?;
                return Ok(PricedProduct {
                    product,
                    current_price,
                });
            }
        }
        ensure_code_free(&txn, tenant, &data, None).await?;
        let now = now();
        let product = Product {
            id: Uuid::now_v7(),
            organisation_id: tenant.id(),
            data,
            status: Status::Active,
            currency,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        Entity::insert(to_active(&product, request_id))
            .exec(&txn)
            .await
            .map_err(|e| code_taken(e, &product.data))?;
        let first = match initial_price {
            Some((amount, valid_from)) => {
                let period = PricePeriod {
                    id: Uuid::now_v7(),
                    product_id: product.id,
                    amount_minor: amount,
                    currency: product.currency.clone(),
                    valid_from,
                    valid_to: None,
                    created_at: now,
                };
                prices::insert(&txn, tenant, &period).await?;
                Some(period)
            }
            None => None,
        };
        crm_events::append(&txn, events::created(&product, first.as_ref(), actor)).await?;
        txn.commit().await?;
        self.relay.notify_one();
        let current_price = first.filter(|p| p.covers(today));
        Ok(PricedProduct {
            product,
            current_price,
        })
    }

    /// Returns a product of the tenant with the price in force today.
    pub async fn get(&self, tenant: Tenant, id: Uuid) -> Result<PricedProduct, Error> {
        let product = self.find(tenant, id).await?;
        let current_price = prices::covering(&self.db, tenant, id, today()).await?;
        Ok(PricedProduct {
            product,
            current_price,
        })
    }

    /// Returns a product of the tenant.
    pub async fn find(&self, tenant: Tenant, id: Uuid) -> Result<Product, Error> {
        Entity::find_by_id_in(tenant, id)
            .one(&self.db)
            .await?
            .map(to_domain)
            .ok_or(Error::NotFound(id))
    }

    /// Applies `change` to a product inside one transaction: the product is read,
    /// changed, checked and written with its product.updated event, or nothing is
    /// written. A change naming no changed path writes nothing and returns the product
    /// as it is. `expected_version` (when not 0) must match the stored version.
    pub async fn update<F>(
        &self,
        tenant: Tenant,
        id: Uuid,
        expected_version: i64,
        change: F,
        actor: &Actor,
    ) -> Result<PricedProduct, Error>
    where
        F: FnOnce(&Product) -> Result<Change, Error>,
    {
        let txn = crm_db::begin_write(&self.db).await?;
        let current = lock(&txn, tenant, id, expected_version).await?;
        let (mut next, paths) = change(&current)?;
        let product = if paths.is_empty() {
            current
        } else {
            if next.data.code_key() != current.data.code_key() {
                ensure_code_free(&txn, tenant, &next.data, Some(id)).await?;
            }
            next.version = current.version + 1;
            next.updated_at = now();
            write(&txn, tenant, &current, &next).await?;
            crm_events::append(&txn, events::updated(&next, paths, actor)).await?;
            next
        };
        let current_price = prices::covering(&txn, tenant, id, today()).await?;
        txn.commit().await?;
        self.relay.notify_one();
        Ok(PricedProduct {
            product,
            current_price,
        })
    }

    /// Returns up to `limit` products after the id `after` (newest first), each with the
    /// price in force today, and whether more follow.
    pub async fn list(
        &self,
        tenant: Tenant,
        filter: &ListFilter,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<(Vec<PricedProduct>, bool), Error> {
        let mut query = Entity::find_in(tenant);
        query = match filter.status {
            Some(status) => query.filter(Column::Status.eq(status.as_str())),
            None => query.filter(Column::Status.ne(Status::Archived.as_str())),
        };
        if let Some(category) = &filter.category {
            query = query.filter(Column::CategoryKey.eq(category.as_str()));
        }
        if let Some(kind) = filter.kind {
            query = query.filter(Column::Kind.eq(kind.as_str()));
        }
        if let Some(text) = &filter.query {
            let pattern = format!("%{}%", escape_like(text));
            query = query
                .filter(Expr::col(Column::SearchText).like(LikeExpr::new(pattern).escape('\\')));
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
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let mut current = prices::covering_many(&self.db, tenant, &ids, today()).await?;
        let products = rows
            .into_iter()
            .map(|row| PricedProduct {
                current_price: current.remove(&row.id),
                product: to_domain(row),
            })
            .collect();
        Ok((products, more))
    }
}

/// Reads a product for a change, checking the version the caller expects (0: any).
async fn lock<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    id: Uuid,
    expected_version: i64,
) -> Result<Product, Error> {
    let current = Entity::find_by_id_in(tenant, id)
        .one(db)
        .await?
        .map(to_domain)
        .ok_or(Error::NotFound(id))?;
    if expected_version != 0 && expected_version != current.version {
        return Err(Error::VersionMismatch {
            id,
            expected: expected_version,
            current: current.version,
        });
    }
    Ok(current)
}

/// Writes `next` over `current`, only if no one changed it in between: the version
/// guard also makes a concurrent writer of the same product wait, then fail, rather
/// than interleave (a new price and its history rows included).
async fn write<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    current: &Product,
    next: &Product,
) -> Result<(), Error> {
    let mut active = to_active(next, None);
    // The request id belongs to the creation; an update leaves it as it was.
    active.request_id = NotSet;
    let result = Entity::update_many_in(tenant)
        .set(active)
        .filter(Column::Id.eq(current.id))
        .filter(Column::Version.eq(current.version))
        .exec(db)
        .await
        .map_err(|e| code_taken(e, &next.data))?;
    if result.rows_affected != 1 {
        return Err(Error::Concurrent(current.id));
    }
    Ok(())
}

async fn ensure_code_free<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    data: &ProductData,
    except: Option<Uuid>,
) -> Result<(), Error> {
    let mut query = Entity::find_in(tenant).filter(Column::CodeKey.eq(data.code_key()));
    if let Some(id) = except {
        query = query.filter(Column::Id.ne(id));
    }
    if query.one(db).await?.is_some() {
        return Err(Error::CodeTaken(data.code.clone()));
    }
    Ok(())
}

/// Maps a unique-index violation (a concurrent writer took the code) to its meaning.
fn code_taken(error: sea_orm::DbErr, data: &ProductData) -> Error {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => Error::CodeTaken(data.code.clone()),
        _ => Error::Database(error),
    }
}
