//! The crm-activites binary: one activites service process.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    crm_kit::bootstrap::run_service::<crm_activites::Migrator, _, _>(
        crm_activites::SPEC,
        crm_activites::build,
    )
    .await
}
