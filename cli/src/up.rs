//! `crm up`: every service and the JSON edge in one process on the ports of
//! ARCHITECTURE.md, sharing one generated development key pair, with a demo organisation
//! and user.

use std::sync::Arc;

use anyhow::Context as _;
use crm_kit::auth::KeySet;
use crm_kit::bootstrap::{MigrationPolicy, signing_key};
use crm_kit::config::{KitConfig, LogFormat};
use crm_kit::shutdown::channel;

use crate::services::{ALL, build, deps_for};

/// Runs the platform until Ctrl-C or SIGTERM.
pub async fn run(dump_config: bool) -> anyhow::Result<()> {
    let mut config = KitConfig::load()?;
    // Each service listens on its own port from the table; a single CRM_PORT cannot
    // apply to all of them.
    config.port = None;
    config.admin_port = None;
    if dump_config {
        #[allow(clippy::print_stdout)]
        {
            println!("{}", config.dump());
        }
        return Ok(());
    }
    if std::env::var_os("CRM_LOG__FORMAT").is_none() {
        config.log.format = LogFormat::Pretty;
    }
    let _telemetry = crm_kit::telemetry::init("crm", &config.log);

    let signer = signing_key(&config)?;
    let keys = Arc::new(KeySet::new(
        vec![(signer.kid().to_owned(), signer.public_key())],
        None,
    ));
    // One transport for every service: JetStream with CRM_NATS_URL, else in process.
    let bus = crm_events::Bus::connect(config.nats_url.as_deref())
        .await
        .map_err(|e| anyhow::anyhow!("cannot reach NATS at {:?}: {e}", config.nats_url))?;
    let (trigger, shutdown) = channel();
    let mut tasks = Vec::new();
    let mut local = std::collections::HashMap::new();
    for name in ALL {
        let deps = deps_for(
            name,
            &config,
            Some(keys.clone()),
            Some(bus.clone()),
            MigrationPolicy::Apply,
        )
        .await?;
        let server = build(name, deps, Some(&signer)).await?;
        // The edge calls the services of this process directly, through the same
        // layers as their listeners, with no loopback connection in between.
        local.insert((*name).to_owned(), server.local_service());
        let (grpc, admin) = crm_kit::server::bind(&config, name)
            .await
            .with_context(|| {
                format!(
                    "cannot bind the ports of {name} ({} and {}): is another crm running?",
                    config.grpc_addr(name),
                    config.admin_addr(name)
                )
            })?;
        let wait = shutdown.clone().wait();
        tasks.push((
            *name,
            tokio::spawn(async move {
                server
                    .serve(grpc, admin, wait)
                    .await
                    .map_err(anyhow::Error::from)
            }),
        ));
    }

    // The JSON edge, in front of them all, verifying tokens with the same keys.
    let gateway = crm_gateway::GatewayConfig::load()?;
    let edge_platform = config.clone();
    let edge_keys = keys.clone();
    let wait = shutdown.clone().wait();
    tasks.push((
        "gateway",
        tokio::spawn(async move {
            crm_gateway::run(&edge_platform, gateway, Some(edge_keys), local, wait).await
        }),
    ));

    let demo = crate::demo::ensure(&config, &signer).await;
    match demo {
        Ok(demo) => crate::demo::print(&config, &demo),
        Err(error) => {
            tracing::error!(error = %format!("{error:#}"), "cannot set up the demo organisation")
        }
    }

    let failed = async {
        let (results, ..) = futures::future::select_all(tasks.iter_mut().map(|(_, t)| t)).await;
        results
    };
    tokio::select! {
        () = crm_kit::shutdown::signal() => {}
        result = failed => {
            tracing::error!(?result, "a service stopped; shutting everything down");
        }
    }
    trigger.fire();
    for (name, task) in tasks {
        if task.is_finished() {
            continue;
        }
        match task.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(service = name, error = %e, "stopped with an error"),
            Err(e) => tracing::error!(service = name, error = %e, "task failed"),
        }
    }
    tracing::info!("all services stopped");
    Ok(())
}
