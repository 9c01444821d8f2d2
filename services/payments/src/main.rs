//! The crm-payments binary: one payments service process. It needs the IBAN key
//! (`CRM_PAYMENTS__IBAN_KEY`) and refuses to start without it.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    crm_kit::bootstrap::run_service::<crm_payments::Migrator, _, _>(
        crm_payments::SPEC,
        crm_payments::build,
    )
    .await
}
