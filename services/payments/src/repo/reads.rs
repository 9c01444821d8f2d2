//! Reads of batches and payments.

use crm_db::{Tenant, TenantScoped};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, Iterable as _, QueryFilter, QueryOrder, QuerySelect, Select,
};
use uuid::Uuid;

use super::{Repo, page_of, rows};
use crate::domain::{Batch, BatchStatus, Payment, PaymentStatus};
use crate::entity::{batch, payment};
use crate::error::Error;

/// Filters of ListPayments.
#[derive(Debug, Clone, Default)]
pub struct PaymentFilter {
    /// Status.
    pub status: Option<PaymentStatus>,
    /// Mandate.
    pub mandate_id: Option<Uuid>,
    /// Contract.
    pub contract_id: Option<Uuid>,
    /// Batch.
    pub batch_id: Option<Uuid>,
}

impl Repo {
    /// Returns a batch of the tenant.
    pub async fn batch(&self, tenant: Tenant, id: Uuid) -> Result<Batch, Error> {
        batch_in(&self.db, tenant, id).await
    }

    /// Returns up to `limit` batches after `after`, newest first.
    pub async fn list_batches(
        &self,
        tenant: Tenant,
        account: Option<Uuid>,
        status: Option<BatchStatus>,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<(Vec<Batch>, bool), Error> {
        let mut query = without_file(batch::Entity::find_in(tenant));
        if let Some(account) = account {
            query = query.filter(batch::Column::CreditorAccountId.eq(account));
        }
        if let Some(status) = status {
            query = query.filter(batch::Column::Status.eq(status.as_str()));
        }
        if let Some(after) = after {
            query = query.filter(batch::Column::Id.lt(after));
        }
        let found = query
            .order_by_desc(batch::Column::Id)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let (found, more) = page_of(found, limit);
        Ok((found.into_iter().map(rows::batch).collect(), more))
    }

    /// Returns a payment of the tenant.
    pub async fn payment(&self, tenant: Tenant, id: Uuid) -> Result<Payment, Error> {
        payment_in(&self.db, tenant, id).await
    }

    /// Returns up to `limit` payments after `after`, newest first.
    pub async fn list_payments(
        &self,
        tenant: Tenant,
        filter: &PaymentFilter,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<(Vec<Payment>, bool), Error> {
        use payment::Column as P;
        let mut query = payment::Entity::find_in(tenant);
        if let Some(status) = filter.status {
            query = query.filter(P::Status.eq(status.as_str()));
        }
        if let Some(m) = filter.mandate_id {
            query = query.filter(P::MandateId.eq(m));
        }
        if let Some(c) = filter.contract_id {
            query = query.filter(P::ContractId.eq(c));
        }
        if let Some(b) = filter.batch_id {
            query = query.filter(P::BatchId.eq(b));
        }
        if let Some(after) = after {
            query = query.filter(P::Id.lt(after));
        }
        let found = query
            .order_by_desc(P::Id)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let (found, more) = page_of(found, limit);
        Ok((found.into_iter().map(rows::payment).collect(), more))
    }
}

/// Returns `query` with the batches' files left out: they weigh megabytes and only an
/// export answers with one.
fn without_file(query: Select<batch::Entity>) -> Select<batch::Entity> {
    query
        .select_only()
        .columns(
            batch::Column::iter()
                .filter(|c| !matches!(c, batch::Column::Xml | batch::Column::FileLz4)),
        )
        .expr_as(Expr::value(Option::<String>::None), "xml")
        .expr_as(Expr::value(Option::<Vec<u8>>::None), "file_lz4")
}

/// Returns a batch of the tenant through `c`, without its file.
pub async fn batch_in<C: ConnectionTrait>(c: &C, tenant: Tenant, id: Uuid) -> Result<Batch, Error> {
    without_file(batch::Entity::find_in(tenant))
        .filter(batch::Column::Id.eq(id))
        .one(c)
        .await?
        .map(rows::batch)
        .ok_or_else(|| Error::not_found("batch", id))
}

/// Returns the file of batch `id` of the tenant, if it has one.
pub async fn file_in<C: ConnectionTrait>(
    c: &C,
    tenant: Tenant,
    id: Uuid,
) -> Result<Option<String>, Error> {
    let found: Option<(Option<Vec<u8>>, Option<String>)> = batch::Entity::find_in(tenant)
        .select_only()
        .columns([batch::Column::FileLz4, batch::Column::Xml])
        .filter(batch::Column::Id.eq(id))
        .into_tuple()
        .one(c)
        .await?;
    match found {
        Some((Some(packed), _)) => unpack_file(&packed).map(Some),
        Some((None, xml)) => Ok(xml),
        None => Err(Error::not_found("batch", id)),
    }
}

/// Returns a file as stored: LZ4-compressed, its length first.
pub fn pack_file(xml: &str) -> Vec<u8> {
    lz4_flex::block::compress_prepend_size(xml.as_bytes())
}

/// Returns a file stored by [`pack_file`].
fn unpack_file(packed: &[u8]) -> Result<String, Error> {
    let bytes = lz4_flex::block::decompress_size_prepended(packed)
        .map_err(|e| Error::Damaged(format!("a batch's file cannot be read: {e}")))?;
    String::from_utf8(bytes)
        .map_err(|e| Error::Damaged(format!("a batch's file is not UTF-8: {e}")))
}

/// Returns a payment of the tenant through `c`.
pub async fn payment_in<C: ConnectionTrait>(
    c: &C,
    tenant: Tenant,
    id: Uuid,
) -> Result<Payment, Error> {
    payment::Entity::find_by_id_in(tenant, id)
        .one(c)
        .await?
        .map(rows::payment)
        .ok_or_else(|| Error::not_found("payment", id))
}
