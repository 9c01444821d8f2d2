//! Creates the tables of the payments service: creditor accounts, settings, mandates and
//! every reference they ever used, schedules and instalments, payments and batches.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn col(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name))
}

fn id() -> ColumnDef {
    let mut c = col("id");
    c.uuid().not_null().primary_key();
    c
}

fn uuid(name: &str) -> ColumnDef {
    let mut c = col(name);
    c.uuid().not_null();
    c
}

fn text(name: &str) -> ColumnDef {
    let mut c = col(name);
    c.text().not_null();
    c
}

fn short(name: &str, len: u32) -> ColumnDef {
    let mut c = col(name);
    c.string_len(len).not_null();
    c
}

fn date(name: &str) -> ColumnDef {
    let mut c = col(name);
    c.date().not_null();
    c
}

fn instant(name: &str) -> ColumnDef {
    let mut c = col(name);
    c.timestamp_with_time_zone().not_null();
    c
}

fn int(name: &str) -> ColumnDef {
    let mut c = col(name);
    c.integer().not_null();
    c
}

fn big(name: &str) -> ColumnDef {
    let mut c = col(name);
    c.big_integer().not_null();
    c
}

fn flag(name: &str) -> ColumnDef {
    let mut c = col(name);
    c.boolean().not_null();
    c
}

fn table(name: &str, columns: Vec<ColumnDef>) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(Alias::new(name)).if_not_exists();
    for mut c in columns {
        t.col(&mut c);
    }
    t
}

/// Statements creating the indexes: the same SQL on PostgreSQL and SQLite (partial
/// indexes included).
const INDEXES: &[&str] = &[
    "CREATE INDEX creditor_accounts_org_id ON creditor_accounts (organisation_id, id)",
    "CREATE UNIQUE INDEX creditor_accounts_org_request ON creditor_accounts \
     (organisation_id, request_id) WHERE request_id IS NOT NULL",
    "CREATE INDEX mandates_org_id ON mandates (organisation_id, id)",
    "CREATE INDEX mandates_org_reference ON mandates (organisation_id, reference)",
    "CREATE INDEX mandates_org_client ON mandates (organisation_id, client_id)",
    "CREATE UNIQUE INDEX mandates_org_request ON mandates (organisation_id, request_id) \
     WHERE request_id IS NOT NULL",
    // Every reference a mandate ever carried, revoked, expired and amended ones
    // included: a UMR is never used twice under one ICS.
    "CREATE UNIQUE INDEX mandate_references_unique ON mandate_references \
     (organisation_id, creditor_id, reference)",
    "CREATE UNIQUE INDEX schedules_org_contract ON schedules (organisation_id, contract_id)",
    "CREATE INDEX schedules_org_id ON schedules (organisation_id, id)",
    "CREATE UNIQUE INDEX schedules_org_request ON schedules (organisation_id, request_id) \
     WHERE request_id IS NOT NULL",
    "CREATE INDEX instalments_org_schedule ON instalments (organisation_id, schedule_id, due_date)",
    "CREATE INDEX instalments_org_status_due ON instalments (organisation_id, status, due_date)",
    "CREATE INDEX instalments_org_contract ON instalments (organisation_id, contract_id)",
    "CREATE UNIQUE INDEX payments_org_e2e ON payments (organisation_id, end_to_end_id)",
    // One payment per attempt of an instalment: two batches never collect the same one.
    "CREATE UNIQUE INDEX payments_org_attempt ON payments \
     (organisation_id, instalment_id, attempt_number)",
    // A failed payment is presented again at most once (by the next attempt).
    "CREATE UNIQUE INDEX payments_org_previous ON payments \
     (organisation_id, previous_payment_id) WHERE previous_payment_id IS NOT NULL",
    "CREATE UNIQUE INDEX payments_org_request ON payments (organisation_id, request_id) \
     WHERE request_id IS NOT NULL",
    "CREATE INDEX payments_org_status_date ON payments (organisation_id, status, collection_date)",
    "CREATE INDEX payments_org_batch ON payments (organisation_id, batch_id)",
    "CREATE INDEX payments_org_mandate ON payments (organisation_id, mandate_id)",
    "CREATE INDEX payments_org_contract ON payments (organisation_id, contract_id)",
    "CREATE INDEX batches_org_id ON batches (organisation_id, id)",
    "CREATE UNIQUE INDEX batches_org_message ON batches (organisation_id, message_id)",
];

const TABLES: &[&str] = &[
    "batches",
    "payments",
    "instalments",
    "schedules",
    "mandate_references",
    "mandates",
    "payment_settings",
    "creditor_accounts",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let optional = |name: &str, kind: fn(&mut ColumnDef) -> &mut ColumnDef| {
            let mut c = col(name);
            kind(&mut c);
            c
        };
        let tables = vec![
            table(
                "creditor_accounts",
                vec![
                    id(),
                    uuid("organisation_id"),
                    text("name"),
                    short("creditor_id", 35),
                    short("iban", 34),
                    optional("bic", |c| c.string_len(11)),
                    optional("request_id", ColumnDef::uuid),
                    instant("created_at"),
                ],
            ),
            {
                let mut t = table(
                    "payment_settings",
                    vec![
                        int("submission_lead_days"),
                        int("prenotification_days"),
                        big("version"),
                        instant("updated_at"),
                    ],
                );
                t.col(col("organisation_id").uuid().not_null().primary_key());
                t
            },
            table(
                "mandates",
                vec![
                    id(),
                    uuid("organisation_id"),
                    uuid("creditor_account_id"),
                    short("creditor_id", 35),
                    short("reference", 35),
                    uuid("client_id"),
                    text("debtor_name"),
                    text("iban_sealed"),
                    short("iban_masked", 48),
                    optional("bic", |c| c.string_len(11)),
                    optional("signature_date", ColumnDef::date),
                    short("kind", 16),
                    short("scheme", 8),
                    short("status", 24),
                    optional("status_reason", |c| c.string_len(8)),
                    optional("last_collection_date", ColumnDef::date),
                    int("settled_since_reset"),
                    instant("account_changed_at"),
                    optional("amend_original_reference", |c| c.string_len(35)),
                    optional("amend_original_iban_sealed", ColumnDef::text),
                    optional("amend_original_iban_masked", |c| c.string_len(48)),
                    flag("amend_smnda"),
                    optional("amended_at", ColumnDef::timestamp_with_time_zone),
                    optional("request_id", ColumnDef::uuid),
                    instant("created_at"),
                    instant("updated_at"),
                    big("version"),
                ],
            ),
            table(
                "mandate_references",
                vec![
                    id(),
                    uuid("organisation_id"),
                    short("creditor_id", 35),
                    short("reference", 35),
                    uuid("mandate_id"),
                    instant("created_at"),
                ],
            ),
            table(
                "schedules",
                vec![
                    id(),
                    uuid("organisation_id"),
                    uuid("contract_id"),
                    text("contract_number"),
                    uuid("client_id"),
                    uuid("mandate_id"),
                    date("notified_on"),
                    optional("request_id", ColumnDef::uuid),
                    instant("created_at"),
                ],
            ),
            table(
                "instalments",
                vec![
                    id(),
                    uuid("organisation_id"),
                    uuid("schedule_id"),
                    uuid("contract_id"),
                    int("sequence"),
                    date("due_date"),
                    date("period_start"),
                    date("period_end"),
                    big("amount_minor"),
                    short("currency", 3),
                    flag("amount_final"),
                    flag("last_of_contract"),
                    optional("invoice_id", ColumnDef::uuid),
                    optional("invoice_number", ColumnDef::text),
                    short("status", 16),
                    instant("updated_at"),
                ],
            ),
            table(
                "payments",
                vec![
                    id(),
                    uuid("organisation_id"),
                    uuid("instalment_id"),
                    uuid("schedule_id"),
                    uuid("contract_id"),
                    uuid("client_id"),
                    optional("invoice_id", ColumnDef::uuid),
                    uuid("mandate_id"),
                    uuid("creditor_account_id"),
                    optional("previous_payment_id", ColumnDef::uuid),
                    int("attempt_number"),
                    big("amount_minor"),
                    short("currency", 3),
                    date("collection_date"),
                    short("status", 16),
                    optional("batch_id", ColumnDef::uuid),
                    short("end_to_end_id", 35),
                    optional("sequence_type", |c| c.string_len(4)),
                    optional("reason_code", |c| c.string_len(8)),
                    optional("rejection_kind", |c| c.string_len(8)),
                    optional("rejection_date", ColumnDef::date),
                    optional("settlement_date", ColumnDef::date),
                    optional("return_deadline", ColumnDef::date),
                    optional("refund_date", ColumnDef::date),
                    optional("request_id", ColumnDef::uuid),
                    optional("amend_original_reference", |c| c.string_len(35)),
                    optional("amend_original_iban_sealed", ColumnDef::text),
                    optional("amend_original_iban_masked", |c| c.string_len(48)),
                    flag("amend_smnda"),
                    instant("created_at"),
                    instant("updated_at"),
                    big("version"),
                ],
            ),
            table(
                "batches",
                vec![
                    id(),
                    uuid("organisation_id"),
                    uuid("creditor_account_id"),
                    date("collection_date"),
                    short("status", 16),
                    short("message_id", 35),
                    int("transactions"),
                    big("control_sum_minor"),
                    short("currency", 3),
                    optional("pain_version", |c| c.string_len(4)),
                    optional("sha256", |c| c.string_len(64)),
                    optional("xml", ColumnDef::text),
                    instant("created_at"),
                    optional("exported_at", ColumnDef::timestamp_with_time_zone),
                ],
            ),
        ];
        for t in tables {
            manager.create_table(t).await?;
        }
        let db = manager.get_connection();
        for sql in INDEXES {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in TABLES {
            manager
                .drop_table(
                    Table::drop()
                        .table(Alias::new(*name))
                        .if_exists()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
