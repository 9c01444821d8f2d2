//! The crm-referentiel binary: one referentiel service process.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    crm_kit::bootstrap::run_service::<crm_referentiel::Migrator, _, _>(
        crm_referentiel::SPEC,
        crm_referentiel::build,
    )
    .await
}
