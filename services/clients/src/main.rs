//! The crm-clients binary: one clients service process.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    crm_kit::bootstrap::run_service::<crm_clients::Migrator, _, _>(
        crm_clients::SPEC,
        crm_clients::build,
    )
    .await
}
