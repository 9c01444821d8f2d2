//! The `crm` command: `crm up` runs the whole platform in one process, `crm serve <name>`
//! one service, `crm migrate` applies migrations, `crm token` mints a development token.

use clap::{Parser, Subcommand};

mod demo;
mod events;
mod services;
mod token;
mod up;

/// The CRM platform.
#[derive(Debug, Parser)]
#[command(name = "crm", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs every service in this process (SQLite under ./data unless CRM_DATABASE_URL is
    /// set), with a demo organisation and user.
    Up {
        /// Prints the effective configuration (secrets redacted) and exits.
        #[arg(long)]
        dump_config: bool,
    },
    /// Runs one service.
    Serve {
        /// The service (organisations, users, clients, activites, referentiel, products,
        /// commerciaux, calendar, contrats) or gateway.
        service: String,
        /// Prints the effective configuration (secrets redacted) and exits.
        #[arg(long)]
        dump_config: bool,
    },
    /// Applies pending migrations to the databases of the named services (all when none).
    Migrate {
        /// Services to migrate.
        services: Vec<String>,
    },
    /// Mints a development access token signed with the local key.
    Token(token::TokenArgs),
    /// Events on the JetStream stream (`CRM_NATS_URL`).
    Events {
        #[command(subcommand)]
        command: EventsCommand,
    },
}

#[derive(Debug, Subcommand)]
enum EventsCommand {
    /// Prints events as JSON lines: subject, headers, decoded payload.
    Tail(events::TailArgs),
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Up { dump_config } => up::run(dump_config).await,
        Command::Serve {
            service,
            dump_config,
        } => services::serve(&service, dump_config).await,
        Command::Migrate { services } => services::migrate(&services).await,
        Command::Token(args) => token::run(args),
        Command::Events {
            command: EventsCommand::Tail(args),
        } => events::tail(args).await,
    }
}
