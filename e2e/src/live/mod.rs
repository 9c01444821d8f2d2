//! The live suite: business flows through the users, organisations and clients services
//! at the addresses of [`Endpoints`]. Every run signs up fresh users (unique e-mails), so
//! it can run again and again against the same databases.

mod accounts;

pub use accounts::sign_up;

mod billing;
mod clients;
mod commerce;
pub mod edge;
mod platform;
mod timeline;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use crm_proto::clients::v1 as clients_pb;
use crm_proto::users::v1::TokenPair;
use tokio::sync::OnceCell;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Response, Status};

use crate::endpoints::Endpoints;
use crate::load::code_name;
use crate::runner::Runner;

/// Deadline of every call the suite makes.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(15);

/// A user the suite signed up, and the tokens SignUp gave it.
#[derive(Debug, Clone)]
pub struct Account {
    /// Its e-mail, `e2e-<uuid>@example.com`.
    pub email: String,
    /// Its password.
    pub password: String,
    /// Its user id.
    pub user_id: String,
    /// The name of the organisation it owns.
    pub organisation_name: String,
    /// The tokens of SignUp, scoped to that organisation.
    pub tokens: TokenPair,
}

/// What the scenarios share: channels, and the accounts and client made once.
#[derive(Debug)]
pub struct Live {
    /// Where the services are.
    pub endpoints: Endpoints,
    users: Channel,
    organisations: Channel,
    clients: Channel,
    activites: Channel,
    commerciaux: Channel,
    products: Channel,
    contrats: Channel,
    payments: Channel,
    factures: Channel,
    retry: Channel,
    commission: Channel,
    first: OnceCell<Account>,
    second: OnceCell<Account>,
    client: OnceCell<clients_pb::Client>,
}

impl Live {
    /// Returns a context over lazy channels to `endpoints` (nothing connects yet).
    pub fn new(endpoints: Endpoints) -> anyhow::Result<Arc<Self>> {
        let channel = |url: &str| -> anyhow::Result<Channel> {
            Ok(Endpoint::from_shared(url.to_owned())
                .with_context(|| format!("bad URL {url:?}"))?
                .timeout(CALL_TIMEOUT)
                .connect_timeout(Duration::from_secs(5))
                .connect_lazy())
        };
        Ok(Arc::new(Self {
            users: channel(&endpoints.users)?,
            organisations: channel(&endpoints.organisations)?,
            clients: channel(&endpoints.clients)?,
            activites: channel(&endpoints.activites)?,
            commerciaux: channel(&endpoints.commerciaux)?,
            products: channel(&endpoints.products)?,
            contrats: channel(&endpoints.contrats)?,
            payments: channel(&endpoints.payments)?,
            factures: channel(&endpoints.factures)?,
            retry: channel(&endpoints.retry)?,
            commission: channel(&endpoints.commission)?,
            endpoints,
            first: OnceCell::new(),
            second: OnceCell::new(),
            client: OnceCell::new(),
        }))
    }

    /// Returns a channel to the named service.
    fn channel(&self, service: &str) -> anyhow::Result<Channel> {
        match service {
            "users" => Ok(self.users.clone()),
            "organisations" => Ok(self.organisations.clone()),
            "clients" => Ok(self.clients.clone()),
            other => anyhow::bail!("unknown service {other}"),
        }
    }

    /// Returns the first account, signing it up on first use.
    pub async fn first(&self) -> anyhow::Result<&Account> {
        self.first
            .get_or_try_init(|| accounts::sign_up(&self.users, "first"))
            .await
    }

    /// Returns a second account, in another organisation, signing it up on first use.
    pub async fn second(&self) -> anyhow::Result<&Account> {
        self.second
            .get_or_try_init(|| accounts::sign_up(&self.users, "second"))
            .await
    }

    /// Returns the client the first account created, creating it on first use.
    pub async fn client(&self) -> anyhow::Result<&clients_pb::Client> {
        let first = self.first().await?;
        self.client
            .get_or_try_init(|| clients::create_person(&self.clients, &first.tokens.access_token))
            .await
    }
}

/// Returns the message of an OK answer, or an error naming `what` and the status.
pub fn ok<T>(answer: Result<Response<T>, Status>, what: &str) -> anyhow::Result<T> {
    answer
        .map(Response::into_inner)
        .map_err(|s| anyhow::anyhow!("{what}: {}", describe(&s)))
}

/// Returns the status of an answer that must fail with `code`.
pub fn expect_code<T: std::fmt::Debug>(
    answer: Result<Response<T>, Status>,
    code: Code,
    what: &str,
) -> anyhow::Result<Status> {
    match answer {
        Ok(r) => anyhow::bail!(
            "{what}: expected {} but got OK: {:?}",
            code_name(code),
            r.get_ref()
        ),
        Err(s) if s.code() == code => Ok(s),
        Err(s) => anyhow::bail!(
            "{what}: expected {} but got {}",
            code_name(code),
            describe(&s)
        ),
    }
}

/// Returns `CODE: message` of a status.
pub fn describe(status: &Status) -> String {
    format!("{}: {}", code_name(status.code()), status.message())
}

/// A signed-up user and a client of its organisation, for load runs against the real
/// services.
#[derive(Debug, Clone)]
pub struct Seed {
    /// The user's access token (15 minutes).
    pub token: String,
    /// Its organisation.
    pub organisation_id: String,
    /// A client of that organisation.
    pub client_id: String,
}

/// Signs up a fresh user at `endpoints.users` and creates a person at
/// `endpoints.clients` in its organisation.
pub async fn seed(endpoints: Endpoints) -> anyhow::Result<Seed> {
    let live = Live::new(endpoints)?;
    let client = live.client().await?.clone();
    let first = live.first().await?;
    Ok(Seed {
        token: first.tokens.access_token.clone(),
        organisation_id: first.tokens.organisation_id.clone(),
        client_id: client.id,
    })
}

/// Returns the live suite over `live`: each service's platform checks, the business
/// flows over gRPC, and the flows as JSON through the edge.
pub fn scenarios(live: &Arc<Live>) -> Runner {
    let mut runner = Runner::new();
    platform::add(&mut runner, live);
    flows(&mut runner, live);
    edge::add(&mut runner, live);
    runner
}

/// Returns the business flows over gRPC with every call through the edge's one port
/// (`live` built over [`Endpoints::via_edge`]).
pub fn scenarios_via_edge(live: &Arc<Live>) -> Runner {
    let mut runner = Runner::new();
    flows(&mut runner, live);
    runner
}

fn flows(runner: &mut Runner, live: &Arc<Live>) {
    accounts::add_sign_up(runner, live);
    clients::add(runner, live);
    timeline::add(runner, live);
    accounts::add_sessions(runner, live);
    commerce::add(runner, live);
    billing::add(runner, live);
}
