//! `crm token`: mints a development access token with the local signing key.

use anyhow::Context as _;
use clap::Args;
use crm_kit::Role;
use crm_kit::auth::tokens::AccessClaims;
use crm_kit::bootstrap::signing_key;
use crm_kit::config::KitConfig;
use uuid::Uuid;

use crate::demo::{Demo, demo_file};

/// Arguments of `crm token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Organisation the token acts in (default: the demo organisation of `crm up`).
    #[arg(long)]
    org: Option<Uuid>,
    /// User the token is for (default: the demo user).
    #[arg(long)]
    user: Option<Uuid>,
    /// Role: owner, admin, manager, agent, accountant or viewer.
    #[arg(long, default_value = "owner")]
    role: String,
    /// Sales-agent record of the member, for agents.
    #[arg(long)]
    commercial: Option<Uuid>,
    /// Lifetime in minutes.
    #[arg(long, default_value_t = 720)]
    ttl_minutes: i64,
}

/// Prints the token alone, so `TOKEN=$(crm token)` works.
pub fn run(args: TokenArgs) -> anyhow::Result<()> {
    let config = KitConfig::load()?;
    let role: Role = args.role.parse().map_err(anyhow::Error::msg)?;
    if !(1..=60 * 24 * 30).contains(&args.ttl_minutes) {
        anyhow::bail!("--ttl-minutes must be between 1 and 43200");
    }
    let (org, user) = match (args.org, args.user) {
        (Some(o), Some(u)) => (o, u),
        (o, u) => {
            let path = demo_file(&config);
            let demo: Demo = serde_json::from_slice(&std::fs::read(&path).with_context(|| {
                format!(
                    "no --org/--user and no {} (run `crm up` once)",
                    path.display()
                )
            })?)?;
            (o.unwrap_or(demo.organisation_id), u.unwrap_or(demo.user_id))
        }
    };
    let signer = signing_key(&config)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let mut claims =
        AccessClaims::new(user, Some(org), Some(role), now).with_commercial(args.commercial);
    claims.exp = now + args.ttl_minutes * 60;
    #[allow(clippy::print_stdout)]
    {
        println!("{}", signer.sign(&claims)?);
    }
    Ok(())
}
