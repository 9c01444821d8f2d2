//! The crm-calendar binary: one calendar service process.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    crm_kit::bootstrap::run_service::<crm_calendar::Migrator, _, _>(
        crm_calendar::SPEC,
        crm_calendar::build,
    )
    .await
}
