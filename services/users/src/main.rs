//! The crm-users binary: one users service process.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    crm_kit::bootstrap::run_service::<crm_users::Migrator, _, _>(
        crm_users::SPEC,
        |deps| async move {
            let signer = crm_kit::bootstrap::signing_key(&deps.config)?;
            crm_users::build(deps, signer).await
        },
    )
    .await
}
