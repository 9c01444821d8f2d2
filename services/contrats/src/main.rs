//! The crm-contrats binary: one contrats service process.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    crm_kit::bootstrap::run_service::<crm_contrats::Migrator, _, _>(
        crm_contrats::SPEC,
        crm_contrats::build,
    )
    .await
}
