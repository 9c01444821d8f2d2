//! Storage of price periods: SetPrice, GetPriceAt, ListPrices and the current price of
//! products. The history rule itself is `domain::price`.

use std::collections::HashMap;

use chrono::NaiveDate;
use crm_db::{Tenant, TenantScoped};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, SqlErr,
};
use uuid::Uuid;

use super::{Repo, lock, now, today, write};
use crate::domain::{self, PricePeriod, PricedProduct, Status, archived_refusal};
use crate::entity::price::{self, Column, Entity};
use crate::error::Error;
use crate::events::{self, Actor};

fn to_domain(m: price::Model) -> PricePeriod {
    PricePeriod {
        id: m.id,
        product_id: m.product_id,
        amount_minor: m.amount_minor,
        currency: m.currency_code,
        valid_from: m.valid_from,
        valid_to: m.valid_to,
        created_at: m.created_at,
    }
}

/// Returns the condition "the period covers `date`".
fn covers(date: NaiveDate) -> Condition {
    Condition::all().add(Column::ValidFrom.lte(date)).add(
        Condition::any()
            .add(Column::ValidTo.is_null())
            .add(Column::ValidTo.gt(date)),
    )
}

/// Inserts a period.
pub(super) async fn insert<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    p: &PricePeriod,
) -> Result<(), Error> {
    let row = price::ActiveModel {
        id: Set(p.id),
        organisation_id: Set(tenant.id()),
        product_id: Set(p.product_id),
        amount_minor: Set(p.amount_minor),
        currency_code: Set(p.currency.clone()),
        valid_from: Set(p.valid_from),
        valid_to: Set(p.valid_to),
        created_at: Set(p.created_at),
    };
    Entity::insert(row)
        .exec(db)
        .await
        .map_err(|e| match e.sql_err() {
            // The unique indexes on (product, valid_from) and on the open period only fire
            // when a concurrent SetPrice slipped past the version guard.
            Some(SqlErr::UniqueConstraintViolation(_)) => Error::Concurrent(p.product_id),
            _ => Error::Database(e),
        })?;
    Ok(())
}

/// Returns the period of `product` covering `date`, if any.
pub(super) async fn covering<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    product: Uuid,
    date: NaiveDate,
) -> Result<Option<PricePeriod>, Error> {
    Ok(Entity::find_in(tenant)
        .filter(Column::ProductId.eq(product))
        .filter(covers(date))
        .one(db)
        .await?
        .map(to_domain))
}

/// Returns the periods covering `date` of each of `products` that has one, in one query.
pub(super) async fn covering_many<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    products: &[Uuid],
    date: NaiveDate,
) -> Result<HashMap<Uuid, PricePeriod>, Error> {
    if products.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = Entity::find_in(tenant)
        .filter(Column::ProductId.is_in(products.iter().copied()))
        .filter(covers(date))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.product_id, to_domain(r)))
        .collect())
}

impl Repo {
    /// Appends a price of `amount` from `valid_from` to a product's history, ending the
    /// latest period the day before, with its product.price_changed event; returns the
    /// product (its version bumped) with today's price, and the new period.
    pub async fn set_price(
        &self,
        tenant: Tenant,
        id: Uuid,
        expected_version: i64,
        amount: i64,
        valid_from: NaiveDate,
        actor: &Actor,
    ) -> Result<(PricedProduct, PricePeriod), Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let current = lock(&txn, tenant, id, expected_version).await?;
        if current.status == Status::Archived {
            return Err(Error::FailedPrecondition(archived_refusal(
                "get a new price",
            )));
        }
        let latest = Entity::find_in(tenant)
            .filter(Column::ProductId.eq(id))
            .order_by_desc(Column::ValidFrom)
            .one(&txn)
            .await?
            .map(to_domain);
        let plan = domain::price::plan_append(latest.as_ref(), valid_from)
            .map_err(|refusal| Error::FailedPrecondition(refusal.to_string()))?;
        // The product first: its version guard serialises concurrent price changes.
        let mut next = current.clone();
        next.version = current.version + 1;
        next.updated_at = now();
        write(&txn, tenant, &current, &next).await?;
        if let Some((period, valid_to)) = plan.close {
            Entity::update_many_in(tenant)
                .col_expr(Column::ValidTo, Expr::value(valid_to))
                .filter(Column::Id.eq(period))
                .exec(&txn)
                .await?;
        }
        let period = PricePeriod {
            id: Uuid::now_v7(),
            product_id: id,
            amount_minor: amount,
            currency: next.currency.clone(),
            valid_from,
            valid_to: None,
            created_at: next.updated_at,
        };
        insert(&txn, tenant, &period).await?;
        let event = events::price_changed(&next, &period, plan.previous_amount, actor);
        crm_events::append(&txn, event).await?;
        let current_price = covering(&txn, tenant, id, today()).await?;
        txn.commit().await?;
        self.relay.notify_one();
        Ok((
            PricedProduct {
                product: next,
                current_price,
            },
            period,
        ))
    }

    /// Returns the period of a product of the tenant covering `date`, archived products
    /// included.
    pub async fn price_at(
        &self,
        tenant: Tenant,
        id: Uuid,
        date: NaiveDate,
    ) -> Result<PricePeriod, Error> {
        self.find(tenant, id).await?;
        covering(&self.db, tenant, id, date)
            .await?
            .ok_or(Error::NoPriceAt { product: id, date })
    }

    /// Returns up to `limit` periods of a product, latest first, after the period
    /// `after`, and whether more follow. `Ok(None)` when `after` is not a period of the
    /// product (a token issued for another one).
    pub async fn list_prices(
        &self,
        tenant: Tenant,
        id: Uuid,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Option<(Vec<PricePeriod>, bool)>, Error> {
        self.find(tenant, id).await?;
        let mut query = Entity::find_in(tenant).filter(Column::ProductId.eq(id));
        if let Some(after) = after {
            // Periods are ordered by their first day, unique per product: the token's
            // period tells where the page starts.
            let Some(mark) = Entity::find_by_id_in(tenant, after)
                .filter(Column::ProductId.eq(id))
                .one(&self.db)
                .await?
            else {
                return Ok(None);
            };
            query = query.filter(Column::ValidFrom.lt(mark.valid_from));
        }
        let mut rows = query
            .order_by_desc(Column::ValidFrom)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        Ok(Some((rows.into_iter().map(to_domain).collect(), more)))
    }
}
