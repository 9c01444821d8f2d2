//! The crm-organisations binary: one organisations service process.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    crm_kit::bootstrap::run_service::<crm_organisations::Migrator, _, _>(
        crm_organisations::SPEC,
        crm_organisations::build,
    )
    .await
}
