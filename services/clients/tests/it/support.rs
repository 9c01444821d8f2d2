//! Shared set-up: a running clients service per backend and request helpers.

use crm_kit::Role;
use crm_proto::clients::v1 as pb;
use crm_proto::clients::v1::client_service_client::ClientServiceClient;
use crm_testkit::{Keys, Running, authed};
use tonic::transport::Channel;
use uuid::Uuid;

/// A clients service and the keys to call it.
pub struct Env {
    pub keys: Keys,
    pub running: Running,
    pub backend: crm_db::Backend,
}

/// Starts one clients service per backend.
pub async fn envs() -> Vec<Env> {
    let mut out = Vec::new();
    for db in crm_testkit::each_backend().await.expect("databases") {
        let keys = Keys::new().expect("keys");
        let deps = crm_testkit::deps::<crm_clients::Migrator>(&keys, &db)
            .await
            .expect("deps");
        let running = crm_testkit::spawn(deps, crm_clients::build)
            .await
            .expect("spawn");
        let backend = db.backend;
        // The database must outlive the service; tests are short, so leak the handle.
        std::mem::forget(db);
        out.push(Env {
            keys,
            running,
            backend,
        });
    }
    out
}

/// A member of an organisation.
#[derive(Clone, Copy)]
pub struct Member {
    pub org: Uuid,
    pub user: Uuid,
    pub role: Role,
    pub commercial: Option<Uuid>,
}

impl Member {
    pub fn new(org: Uuid, role: Role) -> Self {
        Self {
            org,
            user: Uuid::now_v7(),
            role,
            commercial: None,
        }
    }

    pub fn agent(org: Uuid) -> Self {
        Self {
            commercial: Some(Uuid::now_v7()),
            ..Self::new(org, Role::Agent)
        }
    }
}

impl Env {
    pub fn client(&self) -> ClientServiceClient<Channel> {
        ClientServiceClient::new(self.running.channel.clone())
    }

    pub fn req<T>(&self, who: Member, msg: T) -> tonic::Request<T> {
        let token = self
            .keys
            .token_with_commercial(who.org, who.user, who.role, who.commercial);
        authed(&token, msg)
    }

    pub async fn create(
        &self,
        who: Member,
        client: pb::Client,
    ) -> Result<pb::Client, tonic::Status> {
        let res = self
            .client()
            .create_client(self.req(
                who,
                pb::CreateClientRequest {
                    client: Some(client),
                    request_id: String::new(),
                },
            ))
            .await?;
        Ok(res.into_inner().client.expect("client"))
    }

    pub async fn get(&self, who: Member, id: &str) -> Result<pb::Client, tonic::Status> {
        let res = self
            .client()
            .get_client(self.req(
                who,
                pb::GetClientRequest {
                    client_id: id.into(),
                },
            ))
            .await?;
        Ok(res.into_inner().client.expect("client"))
    }
}

/// A valid person.
pub fn person(last: &str, email: &str) -> pb::Client {
    pb::Client {
        kind: pb::ClientKind::Person as i32,
        first_name: "Jeanne".into(),
        last_name: last.into(),
        email: email.into(),
        phone: "+33 6 12 34 56 78".into(),
        ..Default::default()
    }
}

/// A valid company (La Poste's head office SIRET).
pub fn company(name: &str) -> pb::Client {
    pb::Client {
        kind: pb::ClientKind::Company as i32,
        company_name: name.into(),
        siret: "35600000000048".into(),
        ..Default::default()
    }
}

/// Returns the field names of a status's BadRequest detail.
pub fn violation_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt as _;
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|f| f.field).collect())
        .unwrap_or_default()
}
