//! `crm-gateway`: the JSON edge as its own process.

use mimalloc::MiMalloc;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = crm_kit::config::KitConfig::load()?;
    let gateway = crm_gateway::GatewayConfig::load()?;
    if std::env::args().any(|a| a == "--dump-config") {
        #[allow(clippy::print_stdout)]
        {
            println!("{}\n[gateway]\n{gateway:#?}", config.dump());
        }
        return Ok(());
    }
    let _telemetry = crm_kit::telemetry::init("crm-gateway", &config.log);
    crm_gateway::run(
        &config,
        gateway,
        None,
        std::collections::HashMap::new(),
        crm_kit::shutdown::signal(),
    )
    .await
}
