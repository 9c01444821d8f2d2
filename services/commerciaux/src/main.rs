//! The crm-commerciaux binary: one commerciaux service process.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    crm_kit::bootstrap::run_service::<crm_commerciaux::Migrator, _, _>(
        crm_commerciaux::SPEC,
        crm_commerciaux::build,
    )
    .await
}
