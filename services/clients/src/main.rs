//! The crm-clients binary: one clients service process.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    crm_kit::bootstrap::run_service::<crm_clients::Migrator, _, _>(
        crm_clients::SPEC,
        crm_clients::build,
    )
    .await
}
