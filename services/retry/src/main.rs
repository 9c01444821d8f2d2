//! The crm-retry binary: one retry service process.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    crm_kit::bootstrap::run_service::<crm_retry::Migrator, _, _>(crm_retry::SPEC, crm_retry::build)
        .await
}
