//! ExportBatch: the batch's pain.008 file, written once and kept (a second export
//! returns the same bytes), and its payments submitted with payment.submitted each
//! (written packed: a hundred outbox rows for 100,000 payments).

use std::collections::HashMap;
use std::time::Instant;

use crm_db::{Tenant, TenantScoped};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, ExprTrait as _, QueryFilter, QueryOrder};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

use super::batches::of_batch;
use super::{Repo, account_in, now, rows};
use crate::domain::{
    Batch, BatchStatus, Instalment, Mandate, PainVersion, Payment, PaymentStatus, Schedule,
};
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

/// Returns the rows of a tenant-owned table whose `id` is the `reference` of a payment
/// of batch `batch`.
async fn in_batch<C: ConnectionTrait, E: TenantScoped>(
    c: &C,
    tenant: Tenant,
    batch: Uuid,
    id: E::Column,
    reference: payment::Column,
) -> Result<Vec<E::Model>, Error> {
    Ok(E::find_in(tenant)
        .filter(id.in_subquery(of_batch(tenant, batch, reference)))
        .all(c)
        .await?)
}

/// Returns the remittance text of an instalment: its invoice, else its contract and due
/// date.
fn remittance(s: &Schedule, i: &Instalment) -> String {
    match &i.invoice_number {
        Some(number) => format!("Facture {number}"),
        None => format!("Contrat {} echeance {}", s.contract_number, i.due_date),
    }
}

impl Repo {
    /// Writes the batch's pain.008 file in `version` and submits its payments, or
    /// returns the file written before (FAILED_PRECONDITION in another version).
    pub async fn export_batch(
        &self,
        tenant: Tenant,
        id: Uuid,
        version: PainVersion,
        actor: &Actor,
    ) -> Result<Exported, Error> {
        let started = Instant::now();
        let txn = crm_db::begin_write(&self.db).await?;
        let row = batch::Entity::find_by_id_in(tenant, id)
            .one(&txn)
            .await?
            .ok_or_else(|| Error::not_found("batch", id))?;
        let xml = row.xml.clone();
        let mut b = rows::batch(row);
        if b.status == BatchStatus::Exported {
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
            return Ok(Exported {
                batch: b,
                xml,
                sha256,
            });
        }
        let account = account_in(&txn, tenant, b.creditor_account_id).await?;
        let mut payments: Vec<Payment> = payment::Entity::find_in(tenant)
            .filter(payment::Column::BatchId.eq(b.id))
            .filter(payment::Column::Status.eq(PaymentStatus::Exported.as_str()))
            .order_by_asc(payment::Column::Id)
            .all(&txn)
            .await?
            .into_iter()
            .map(rows::payment)
            .collect();
        // The batch's mandates, schedules and instalments, each in one statement.
        let mandates: HashMap<Uuid, Mandate> = in_batch::<_, mandate::Entity>(
            &txn,
            tenant,
            b.id,
            mandate::Column::Id,
            payment::Column::MandateId,
        )
        .await?
        .into_iter()
        .map(|m| (m.id, rows::mandate(m)))
        .collect();
        let schedules: HashMap<Uuid, Schedule> = in_batch::<_, schedule::Entity>(
            &txn,
            tenant,
            b.id,
            schedule::Column::Id,
            payment::Column::ScheduleId,
        )
        .await?
        .into_iter()
        .map(|s| (s.id, rows::schedule(s)))
        .collect();
        let instalments: HashMap<Uuid, Instalment> = in_batch::<_, instalment::Entity>(
            &txn,
            tenant,
            b.id,
            instalment::Column::Id,
            payment::Column::InstalmentId,
        )
        .await?
        .into_iter()
        .map(|i| (i.id, rows::instalment(i)))
        .collect();
        let read = started.elapsed();
        let sepa =
            super::pain::sepa_batch(self.vault(), &b, &account, &payments, &mandates, |p| {
                let s = schedules.get(&p.schedule_id)?;
                Some(remittance(s, instalments.get(&p.instalment_id)?))
            })?;
        let document = crm_sepa::write_pain008(&sepa, version.to_sepa())
            .map_err(|e| Error::FailedPrecondition(format!("the batch cannot be written: {e}")))?;
        let sha256: String = Sha256::digest(document.xml.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        let written = started.elapsed();
        let at = now();
        b.status = BatchStatus::Exported;
        b.version = Some(version);
        b.sha256 = Some(sha256.clone());
        b.exported_at = Some(at);
        batch::Entity::update_many_in(tenant)
            .col_expr(batch::Column::Status, Expr::value(b.status.as_str()))
            .col_expr(batch::Column::PainVersion, Expr::value(version.as_str()))
            .col_expr(batch::Column::Sha256, Expr::value(sha256.clone()))
            .col_expr(batch::Column::Xml, Expr::value(document.xml.clone()))
            .col_expr(batch::Column::ExportedAt, Expr::value(at))
            .filter(batch::Column::Id.eq(b.id))
            .exec(&txn)
            .await?;
        let stored = started.elapsed();
        payment::Entity::update_many_in(tenant)
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
    use crate::domain::InstalmentStatus;
    use crate::repo::today;
    use chrono::NaiveDate;

    #[test]
    fn remittance_names_the_invoice_or_the_contract_and_due_date() {
        let s = Schedule {
            id: Uuid::now_v7(),
            organisation_id: Uuid::now_v7(),
            contract_id: Uuid::now_v7(),
            contract_number: "C-2026-000042".into(),
            client_id: Uuid::now_v7(),
            mandate_id: Uuid::now_v7(),
            notified_on: today(),
            created_at: now(),
        };
        let mut i = Instalment {
            id: Uuid::now_v7(),
            schedule_id: s.id,
            sequence: 1,
            due_date: NaiveDate::from_ymd_opt(2026, 3, 5).expect("date"),
            period_start: NaiveDate::from_ymd_opt(2026, 3, 1).expect("date"),
            period_end: NaiveDate::from_ymd_opt(2026, 3, 31).expect("date"),
            amount_minor: 100,
            currency: "EUR".into(),
            amount_final: true,
            last_of_contract: false,
            invoice_id: None,
            invoice_number: None,
            status: InstalmentStatus::Planned,
        };
        assert_eq!(
            remittance(&s, &i),
            "Contrat C-2026-000042 echeance 2026-03-05"
        );
        i.invoice_number = Some("F-2026-000123".into());
        assert_eq!(remittance(&s, &i), "Facture F-2026-000123");
    }
}
