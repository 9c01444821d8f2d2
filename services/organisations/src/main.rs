//! The crm-organisations binary: one organisations service process.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    crm_kit::bootstrap::run_service::<crm_organisations::Migrator, _, _>(
        crm_organisations::SPEC,
        crm_organisations::build,
    )
    .await
}
