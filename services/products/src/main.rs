//! The crm-products binary: one products service process.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    crm_kit::bootstrap::run_service::<crm_products::Migrator, _, _>(
        crm_products::SPEC,
        crm_products::build,
    )
    .await
}
