//! The services this binary can run, by name.

use std::sync::Arc;

use anyhow::Context as _;
use crm_kit::auth::{KeySet, TokenSigner};
use crm_kit::bootstrap::{Deps, MigrationPolicy, deps, signing_key, standalone_policy};
use crm_kit::config::KitConfig;
use crm_kit::server::Server;

/// Every service, in start order: organisations before users, which calls it at sign-up.
pub const ALL: &[&str] = &[
    "organisations",
    "users",
    "clients",
    "activites",
    "referentiel",
    "products",
    "commerciaux",
    "calendar",
    "contrats",
    "payments",
    "factures",
    "retry",
    "commission",
];

/// Returns the dependencies of `name`, migrating as `policy` says.
pub async fn deps_for(
    name: &str,
    config: &KitConfig,
    keys: Option<Arc<KeySet>>,
    bus: Option<crm_events::Bus>,
    policy: MigrationPolicy,
) -> anyhow::Result<Deps> {
    match name {
        "organisations" => {
            deps::<crm_organisations::Migrator>(name, config, keys, bus, policy).await
        }
        "users" => deps::<crm_users::Migrator>(name, config, keys, bus, policy).await,
        "clients" => deps::<crm_clients::Migrator>(name, config, keys, bus, policy).await,
        "activites" => deps::<crm_activites::Migrator>(name, config, keys, bus, policy).await,
        "referentiel" => deps::<crm_referentiel::Migrator>(name, config, keys, bus, policy).await,
        "products" => deps::<crm_products::Migrator>(name, config, keys, bus, policy).await,
        "commerciaux" => deps::<crm_commerciaux::Migrator>(name, config, keys, bus, policy).await,
        "calendar" => deps::<crm_calendar::Migrator>(name, config, keys, bus, policy).await,
        "contrats" => deps::<crm_contrats::Migrator>(name, config, keys, bus, policy).await,
        "payments" => deps::<crm_payments::Migrator>(name, config, keys, bus, policy).await,
        "factures" => deps::<crm_factures::Migrator>(name, config, keys, bus, policy).await,
        "retry" => deps::<crm_retry::Migrator>(name, config, keys, bus, policy).await,
        "commission" => deps::<crm_commission::Migrator>(name, config, keys, bus, policy).await,
        other => anyhow::bail!("unknown service {other:?}; known: {}", ALL.join(", ")),
    }
}

/// Returns the server of `name`.
/// `signer` is the key users signs tokens with; the other services only verify them.
pub async fn build(name: &str, deps: Deps, signer: Option<&TokenSigner>) -> anyhow::Result<Server> {
    match name {
        "organisations" => crm_organisations::build(deps).await,
        "users" => {
            let signer = match signer {
                Some(s) => s.clone(),
                None => signing_key(&deps.config)?,
            };
            crm_users::build(deps, signer).await
        }
        "clients" => crm_clients::build(deps).await,
        "activites" => crm_activites::build(deps).await,
        "referentiel" => crm_referentiel::build(deps).await,
        "products" => crm_products::build(deps).await,
        "commerciaux" => crm_commerciaux::build(deps).await,
        "calendar" => crm_calendar::build(deps).await,
        "contrats" => crm_contrats::build(deps).await,
        "payments" => {
            // A configured key (payments.iban_key) always wins; `crm up` (the only caller
            // handing over a signer) otherwise keeps a development key in the data dir.
            let configured = crm_payments::PaymentsConfig::load()?;
            let key = if configured.iban_key.is_none() && signer.is_some() {
                crm_payments::IbanKey::from_bytes(crm_kit::bootstrap::development_data_key(
                    &deps.config,
                    "payments-iban.key",
                )?)
            } else {
                configured.iban_key()?
            };
            crm_payments::build_with(deps, key).await
        }
        "factures" => crm_factures::build(deps).await,
        "retry" => crm_retry::build(deps).await,
        "commission" => crm_commission::build(deps).await,
        other => anyhow::bail!("unknown service {other:?}; known: {}", ALL.join(", ")),
    }
}

/// `crm serve <name>`: one service (or `gateway`, the JSON edge), as its own process.
pub async fn serve(name: &str, dump_config: bool) -> anyhow::Result<()> {
    if name == "gateway" {
        let config = KitConfig::load()?;
        let gateway = crm_gateway::GatewayConfig::load()?;
        if dump_config {
            #[allow(clippy::print_stdout)]
            {
                println!("{}\n[gateway]\n{gateway:#?}", config.dump());
            }
            return Ok(());
        }
        let _telemetry = crm_kit::telemetry::init("gateway", &config.log);
        return crm_gateway::run(
            &config,
            gateway,
            None,
            std::collections::HashMap::new(),
            crm_kit::shutdown::signal(),
        )
        .await;
    }
    if !ALL.contains(&name) {
        anyhow::bail!("unknown service {name:?}; known: {}", ALL.join(", "));
    }
    let config = KitConfig::load()?;
    if dump_config {
        #[allow(clippy::print_stdout)]
        {
            println!("{}", config.dump());
        }
        return Ok(());
    }
    let _telemetry = crm_kit::telemetry::init(name, &config.log);
    let deps = deps_for(name, &config, None, None, standalone_policy(&config)).await?;
    let server = build(name, deps, None).await?;
    let (grpc, admin) = crm_kit::server::bind(&config, name)
        .await
        .with_context(|| format!("cannot bind the ports of {name}"))?;
    server
        .serve(grpc, admin, crm_kit::shutdown::signal())
        .await?;
    Ok(())
}

/// `crm migrate [names]`.
pub async fn migrate(names: &[String]) -> anyhow::Result<()> {
    let config = KitConfig::load()?;
    let _telemetry = crm_kit::telemetry::init("crm-migrate", &config.log);
    let names: Vec<&str> = if names.is_empty() {
        ALL.to_vec()
    } else {
        names.iter().map(String::as_str).collect()
    };
    for name in names {
        // Migrating needs no broker: hand it an in-process bus rather than connect.
        let bus = crm_events::Bus::connect(None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        deps_for(name, &config, None, Some(bus), MigrationPolicy::Apply).await?;
        tracing::info!(service = name, "migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every service of [`ALL`] migrates a fresh SQLite database and builds its server.
    #[tokio::test]
    async fn every_service_migrates_and_builds() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let config = KitConfig {
            data_dir: dir.path().to_path_buf(),
            ..KitConfig::default()
        };
        let bus = crm_events::Bus::connect(None).await.expect("bus");
        let (signer, _) = crm_kit::auth::TokenSigner::generate().expect("key");
        for name in ALL {
            let deps = deps_for(
                name,
                &config,
                None,
                Some(bus.clone()),
                MigrationPolicy::Apply,
            )
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:#}"));
            build(name, deps, Some(&signer))
                .await
                .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        }
    }
}
