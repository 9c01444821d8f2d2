//! Shared set-up: a users service and the organisations service it calls, both running
//! in-process on ephemeral ports with the same keys, one stack per backend; helpers to
//! sign up, sign in, read error details and make TOTP codes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crm_kit::bootstrap::Deps;
use crm_proto::organisations::v1::organisation_service_client::OrganisationServiceClient;
use crm_proto::users::v1 as pb;
use crm_proto::users::v1::user_service_client::UserServiceClient;
use crm_testkit::{Keys, Running, TestDatabase, authed};
use sea_orm::ConnectionTrait as _;
use sea_orm::sea_query::{Alias, Expr, ExprTrait as _, Query};
use tonic::transport::Channel;
use tonic::{Code, Request, Status};
use tonic_types::StatusExt as _;
use uuid::Uuid;

/// A password every test account starts with.
pub const PASSWORD: &str = "correct horse battery staple";

/// A users service, the organisations service behind it, and their databases.
pub struct Stack {
    pub keys: Keys,
    pub users_db: TestDatabase,
    pub orgs_db: TestDatabase,
    users: Running,
    orgs: Running,
    _data_dir: tempfile::TempDir,
}

/// Starts one stack per backend.
pub async fn stacks() -> Vec<Stack> {
    stacks_with(|_| {}).await
}

/// Starts one stack per backend, with `hook` applied to the users service's
/// dependencies before it starts.
pub async fn stacks_with(hook: impl Fn(&mut Deps)) -> Vec<Stack> {
    let mut out = Vec::new();
    for users_db in crm_testkit::each_backend().await.expect("databases") {
        let orgs_db = crm_testkit::fresh(users_db.backend)
            .await
            .expect("organisations database");
        let keys = Keys::new().expect("keys");
        let orgs_deps = crm_testkit::deps::<crm_organisations::Migrator>(&keys, &orgs_db)
            .await
            .expect("organisations deps");
        let orgs = crm_testkit::spawn(orgs_deps, crm_organisations::build)
            .await
            .expect("organisations");
        let (users, data_dir) = spawn_users_with(&keys, &users_db, &orgs.url, &hook).await;
        out.push(Stack {
            keys,
            users_db,
            orgs_db,
            users,
            orgs,
            _data_dir: data_dir,
        });
    }
    out
}

/// Starts a users service over `db` calling organisations at `orgs_url`, with its data
/// key in a temporary directory.
pub async fn spawn_users(
    keys: &Keys,
    db: &TestDatabase,
    orgs_url: &str,
) -> (Running, tempfile::TempDir) {
    spawn_users_with(keys, db, orgs_url, |_| {}).await
}

/// Like [`spawn_users`], with `hook` applied to the dependencies before the start.
pub async fn spawn_users_with(
    keys: &Keys,
    db: &TestDatabase,
    orgs_url: &str,
    hook: impl Fn(&mut Deps),
) -> (Running, tempfile::TempDir) {
    let data_dir = tempfile::tempdir().expect("data dir");
    let mut deps = crm_testkit::deps::<crm_users::Migrator>(keys, db)
        .await
        .expect("users deps");
    deps.config
        .services
        .insert("organisations".into(), orgs_url.to_owned());
    deps.config.data_dir = data_dir.path().to_owned();
    hook(&mut deps);
    let signer = keys.signer.clone();
    let users = crm_testkit::spawn(deps, |deps| crm_users::build(deps, signer))
        .await
        .expect("users");
    (users, data_dir)
}

/// A signed-up user.
pub struct Account {
    pub id: Uuid,
    pub email: String,
    pub org: Uuid,
    pub tokens: pb::TokenPair,
}

impl Stack {
    pub fn users(&self) -> UserServiceClient<Channel> {
        UserServiceClient::new(self.users.channel.clone())
    }

    pub fn orgs(&self) -> OrganisationServiceClient<Channel> {
        OrganisationServiceClient::new(self.orgs.channel.clone())
    }

    /// Signs up a new account with a unique e-mail address.
    pub async fn sign_up(&self, name: &str) -> Account {
        let email = format!("{name}.{}@example.com", Uuid::new_v4().simple());
        let response = self
            .users()
            .sign_up(pb::SignUpRequest {
                email: email.clone(),
                password: PASSWORD.into(),
                display_name: name.into(),
                organisation_name: format!("{name}'s company"),
            })
            .await
            .expect("sign up")
            .into_inner();
        let user = response.user.expect("user");
        let tokens = response.tokens.expect("tokens");
        Account {
            id: user.id.parse().expect("user id"),
            email,
            org: tokens.organisation_id.parse().expect("organisation id"),
            tokens,
        }
    }

    /// Signs in with the e-mail and password only.
    pub async fn login(&self, email: &str, password: &str) -> Result<pb::LoginResponse, Status> {
        self.users()
            .login(pb::LoginRequest {
                email: email.into(),
                password: password.into(),
                ..Default::default()
            })
            .await
            .map(|r| r.into_inner())
    }

    /// Exchanges a refresh token.
    pub async fn refresh(&self, token: &str) -> Result<pb::TokenPair, Status> {
        self.users()
            .refresh(pb::RefreshRequest {
                refresh_token: token.into(),
            })
            .await
            .map(|r| r.into_inner().tokens.expect("tokens"))
    }

    /// Sets a column of one user's row (UUIDs are stored differently by each backend, so
    /// the statement is built rather than written).
    pub async fn set_user_column(&self, user: Uuid, column: &str, value: sea_orm::Value) {
        self.set_column("users", "id", user, column, value).await;
    }

    /// Sets `column` of the rows of `table` whose `key` is `id`, in the users database.
    pub async fn set_column(
        &self,
        table: &str,
        key: &str,
        id: Uuid,
        column: &str,
        value: sea_orm::Value,
    ) {
        let statement = Query::update()
            .table(Alias::new(table))
            .value(Alias::new(column), value)
            .and_where(Expr::col(Alias::new(key)).eq(id))
            .to_owned();
        self.users_db.db.execute(&statement).await.expect("update");
    }

    /// Returns a text column of one user's row.
    pub async fn user_text(&self, user: Uuid, column: &str) -> Option<String> {
        let statement = Query::select()
            .column(Alias::new(column))
            .from(Alias::new("users"))
            .and_where(Expr::col(Alias::new("id")).eq(user))
            .to_owned();
        self.users_db
            .db
            .query_one(&statement)
            .await
            .expect("select user")
            .expect("row")
            .try_get::<Option<String>>("", column)
            .expect("column")
    }

    /// Deletes every membership of `user` in the organisations database.
    pub async fn delete_memberships(&self, user: Uuid) {
        let statement = Query::delete()
            .from_table(Alias::new("memberships"))
            .and_where(Expr::col(Alias::new("user_id")).eq(user))
            .to_owned();
        self.orgs_db
            .db
            .execute(&statement)
            .await
            .expect("delete memberships");
    }

    /// Stops both services.
    pub async fn stop(self) {
        self.users.stop().await.expect("stop users");
        self.orgs.stop().await.expect("stop organisations");
    }
}

/// Returns `msg` carrying the access token of `tokens`.
pub fn with<T>(tokens: &pb::TokenPair, msg: T) -> Request<T> {
    authed(&tokens.access_token, msg)
}

/// Returns the fields of the BadRequest detail of an INVALID_ARGUMENT status.
pub fn violations(status: &Status) -> Vec<String> {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    status
        .get_details_bad_request()
        .expect("bad request detail")
        .field_violations
        .into_iter()
        .map(|v| v.field)
        .collect()
}

/// The TOTP generator of a base32 secret from EnrollTotp.
pub struct Authenticator(totp_rs::TOTP);

impl Authenticator {
    pub fn new(base32: &str) -> Self {
        let bytes = totp_rs::Secret::Encoded(base32.to_owned())
            .to_bytes()
            .expect("base32");
        Self(totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes).expect("totp"))
    }

    /// Returns the code of the current step moved by `steps` (-1, 0 or +1 are accepted by
    /// the service). Waits for the next step when this one ends within 3 s, so the
    /// service sees the same step as the test.
    pub async fn code(&self, steps: i64) -> String {
        let now = || {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .expect("clock")
                .as_secs()
        };
        if 30 - now() % 30 < 3 {
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        let t = now() as i64 + steps * 30;
        self.0.generate(t as u64)
    }
}
