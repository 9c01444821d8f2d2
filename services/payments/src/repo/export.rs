//! ExportBatch: the batch's pain.008 file, written once and kept (a second export
//! returns the same bytes), and its payments submitted with payment.submitted each
//! (written packed: a hundred outbox rows for 100,000 payments).

use std::collections::HashMap;
use std::time::Instant;

use chrono::NaiveDate;
use crm_db::{Tenant, TenantScoped};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, ExprTrait as _, QueryFilter, QueryOrder, QuerySelect};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use super::batches::of_batch;
use super::pain::Debtor;
use super::reads::{batch_in, file_in, pack_file};
use super::{Repo, account_in, now, rows};
use crate::domain::{Batch, BatchStatus, PainVersion, Payment, PaymentStatus, Scheme};
use crate::entity::{batch, instalment, mandate, payment, schedule};
use crate::error::Error;
use crate::events::{self, Actor};

/// An exported file.
#[derive(Debug, Clone)]
pub struct Exported {
    /// The batch.
    pub batch: Batch,
    /// The pain.008 XML.
    pub xml: String,
    /// Its SHA-256, lowercase hex.
    pub sha256: String,
}

/// What each payment's transaction says to its debtor: its invoice, else its contract
/// and due date.
struct Remittance {
    invoice_number: Option<String>,
    contract_number: String,
    due_date: NaiveDate,
}

/// Returns the remittance text of a payment.
fn remittance(r: &Remittance) -> String {
    match &r.invoice_number {
        Some(number) => format!("Facture {number}"),
        None => format!("Contrat {} echeance {}", r.contract_number, r.due_date),
    }
}

/// Returns the EXPORTED payments of batch `batch`.
async fn payments_of<C: ConnectionTrait>(
    c: &C,
    tenant: Tenant,
    batch: Uuid,
) -> Result<Vec<Payment>, Error> {
    Ok(payment::Entity::find_in(tenant)
        .filter(payment::Column::BatchId.eq(batch))
        .filter(payment::Column::Status.eq(PaymentStatus::Exported.as_str()))
        .order_by_asc(payment::Column::Id)
        .all(c)
        .await?
        .into_iter()
        .map(rows::payment)
        .collect())
}

/// Returns the debtors of batch `batch`'s payments by mandate: only the columns the
/// file takes.
async fn debtors_of<C: ConnectionTrait>(
    c: &C,
    tenant: Tenant,
    batch: Uuid,
) -> Result<HashMap<Uuid, Debtor>, Error> {
    use mandate::Column as M;
    let found: Vec<DebtorRow> = mandate::Entity::find_in(tenant)
        .select_only()
        .columns([
            M::Id,
            M::Reference,
            M::DebtorName,
            M::IbanSealed,
            M::Bic,
            M::SignatureDate,
            M::Scheme,
        ])
        .filter(M::Id.in_subquery(of_batch(tenant, batch, payment::Column::MandateId)))
        .into_tuple()
        .all(c)
        .await?;
    Ok(found
        .into_iter()
        .map(
            |(id, reference, name, iban_sealed, bic, signature_date, scheme)| {
                let debtor = Debtor {
                    reference,
                    name,
                    iban_sealed,
                    bic,
                    signature_date,
                    scheme: Scheme::parse(&scheme).unwrap_or(Scheme::Core),
                };
                (id, debtor)
            },
        )
        .collect())
}

/// A mandate's columns as [`debtors_of`] reads them.
type DebtorRow = (
    Uuid,
    String,
    String,
    String,
    Option<String>,
    Option<NaiveDate>,
    String,
);

/// Returns the remittance of each payment of batch `batch`, from its instalment and
/// schedule, in one statement.
async fn remittances_of<C: ConnectionTrait>(
    c: &C,
    tenant: Tenant,
    batch: Uuid,
) -> Result<HashMap<Uuid, Remittance>, Error> {
    let statement = Query::select()
        .column((payment::Entity, payment::Column::Id))
        .column((instalment::Entity, instalment::Column::InvoiceNumber))
        .column((schedule::Entity, schedule::Column::ContractNumber))
        .column((instalment::Entity, instalment::Column::DueDate))
        .from(payment::Entity)
        .inner_join(
            instalment::Entity,
            Expr::col((instalment::Entity, instalment::Column::Id))
                .equals((payment::Entity, payment::Column::InstalmentId))
                .and(
                    Expr::col((instalment::Entity, instalment::Column::OrganisationId))
                        .eq(tenant.id()),
                ),
        )
        .inner_join(
            schedule::Entity,
            Expr::col((schedule::Entity, schedule::Column::Id))
                .equals((payment::Entity, payment::Column::ScheduleId))
                .and(
                    Expr::col((schedule::Entity, schedule::Column::OrganisationId)).eq(tenant.id()),
                ),
        )
        .and_where(Expr::col((payment::Entity, payment::Column::OrganisationId)).eq(tenant.id()))
        .and_where(Expr::col((payment::Entity, payment::Column::BatchId)).eq(batch))
        .to_owned();
    let mut out = HashMap::new();
    for row in c.query_all(&statement).await? {
        let id: Uuid = row.try_get_by_index(0)?;
        out.insert(
            id,
            Remittance {
                invoice_number: row.try_get_by_index(1)?,
                contract_number: row.try_get_by_index(2)?,
                due_date: row.try_get_by_index(3)?,
            },
        );
    }
    Ok(out)
}

/// Returns the file of an exported batch, if asked in the version it was written in.
fn kept(b: Batch, xml: Option<String>, version: PainVersion) -> Result<Exported, Error> {
    let (Some(xml), Some(sha256)) = (xml, b.sha256.clone()) else {
        return Err(Error::FailedPrecondition(
            "the batch's file is missing".into(),
        ));
    };
    if b.version != Some(version) {
        return Err(Error::FailedPrecondition(format!(
            "the batch was exported as pain.008.001.{}; its file cannot change",
            b.version
                .map_or("02", |v| if v == PainVersion::V08 { "08" } else { "02" })
        )));
    }
    Ok(Exported {
        batch: b,
        xml,
        sha256,
    })
}

/// The answer when a batch changed under an export in a way no other export explains.
fn changed() -> Error {
    Error::Aborted("the batch's payments changed during the export; retry".into())
}

impl Repo {
    /// Returns the file another export of batch `id` wrote while this one was reading or
    /// writing.
    async fn written_meanwhile(
        &self,
        tenant: Tenant,
        id: Uuid,
        version: PainVersion,
    ) -> Result<Exported, Error> {
        let b = batch_in(&self.db, tenant, id).await?;
        if b.status != BatchStatus::Exported {
            return Err(changed());
        }
        let xml = file_in(&self.db, tenant, id).await?;
        kept(b, xml, version)
    }

    /// Writes the batch's pain.008 file in `version` and submits its payments, or
    /// returns the file written before (FAILED_PRECONDITION in another version).
    ///
    /// What the file needs is read first, in parallel on the pool; the transaction then
    /// claims the batch (PREPARED to EXPORTED, so of two concurrent exports one writes
    /// and the other returns its file), stores the file, submits the payments and
    /// publishes their payment.submitted.
    pub async fn export_batch(
        &self,
        tenant: Tenant,
        id: Uuid,
        version: PainVersion,
        actor: &Actor,
    ) -> Result<Exported, Error> {
        let started = Instant::now();
        let mut b = batch_in(&self.db, tenant, id).await?;
        if b.status == BatchStatus::Exported {
            let xml = file_in(&self.db, tenant, id).await?;
            return kept(b, xml, version);
        }
        let (account, mut payments, debtors, remittances) = tokio::try_join!(
            account_in(&self.db, tenant, b.creditor_account_id),
            payments_of(&self.db, tenant, b.id),
            debtors_of(&self.db, tenant, b.id),
            remittances_of(&self.db, tenant, b.id),
        )?;
        if usize::try_from(b.transactions).ok() != Some(payments.len()) {
            // Another export submitted them meanwhile: its file is the batch's.
            return self.written_meanwhile(tenant, id, version).await;
        }
        let read = started.elapsed();
        let sepa = super::pain::sepa_batch(self.vault(), &b, &account, &payments, &debtors, |p| {
            remittances.get(&p.id).map(remittance)
        })?;
        let document = crm_sepa::write_pain008(&sepa, version.to_sepa())
            .map_err(|e| Error::FailedPrecondition(format!("the batch cannot be written: {e}")))?;
        let sha256: String = Sha256::digest(document.xml.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let packed = pack_file(&document.xml);
        let written = started.elapsed();
        let at = now();
        let txn = crm_db::begin_write(&self.db).await?;
        let claimed = batch::Entity::update_many_in(tenant)
            .col_expr(
                batch::Column::Status,
                Expr::value(BatchStatus::Exported.as_str()),
            )
            .col_expr(batch::Column::PainVersion, Expr::value(version.as_str()))
            .col_expr(batch::Column::Sha256, Expr::value(sha256.clone()))
            .col_expr(batch::Column::FileLz4, Expr::value(packed))
            .col_expr(batch::Column::ExportedAt, Expr::value(at))
            .filter(batch::Column::Id.eq(b.id))
            .filter(batch::Column::Status.eq(BatchStatus::Prepared.as_str()))
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            txn.rollback().await?;
            return self.written_meanwhile(tenant, id, version).await;
        }
        b.status = BatchStatus::Exported;
        b.version = Some(version);
        b.sha256 = Some(sha256.clone());
        b.exported_at = Some(at);
        let stored = started.elapsed();
        let done = payment::Entity::update_many_in(tenant)
            .col_expr(
                payment::Column::Status,
                Expr::value(PaymentStatus::Submitted.as_str()),
            )
            .col_expr(payment::Column::UpdatedAt, Expr::value(at))
            .col_expr(
                payment::Column::Version,
                Expr::col(payment::Column::Version).add(1),
            )
            .filter(payment::Column::BatchId.eq(b.id))
            .filter(payment::Column::Status.eq(PaymentStatus::Exported.as_str()))
            .exec(&txn)
            .await?;
        if usize::try_from(done.rows_affected).ok() != Some(payments.len()) {
            return Err(changed());
        }
        let submitted_at = started.elapsed();
        for p in &mut payments {
            p.status = PaymentStatus::Submitted;
            p.updated_at = at;
            p.version += 1;
        }
        let submitted: Vec<_> = payments
            .iter()
            .map(|p| events::payment_submitted(p, actor))
            .collect();
        crm_events::append_packed(&txn, submitted).await?;
        txn.commit().await?;
        self.committed();
        // Where an export's time goes, cumulative from its start.
        tracing::info!(
            batch_id = %b.id,
            payments = payments.len(),
            bytes = document.xml.len(),
            ?read,
            ?written,
            ?stored,
            submitted = ?submitted_at,
            total = ?started.elapsed(),
            "batch exported"
        );
        Ok(Exported {
            batch: b,
            xml: document.xml,
            sha256,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remittance_names_the_invoice_or_the_contract_and_due_date() {
        let mut r = Remittance {
            invoice_number: None,
            contract_number: "C-2026-000042".into(),
            due_date: NaiveDate::from_ymd_opt(2026, 3, 5).expect("date"),
        };
        assert_eq!(remittance(&r), "Contrat C-2026-000042 echeance 2026-03-05");
        r.invoice_number = Some("F-2026-000123".into());
        assert_eq!(remittance(&r), "Facture F-2026-000123");
    }
}
