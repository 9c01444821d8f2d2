//! The crm-commission binary: one commission service process.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    crm_kit::bootstrap::run_service::<crm_commission::Migrator, _, _>(
        crm_commission::SPEC,
        crm_commission::build,
    )
    .await
}
