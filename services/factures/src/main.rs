//! The crm-factures binary: one factures service process.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    crm_kit::bootstrap::run_service::<crm_factures::Migrator, _, _>(
        crm_factures::SPEC,
        crm_factures::build,
    )
    .await
}
