//! Shared set-up: a running clients service per backend and request helpers.

use crm_kit::Role;
use crm_proto::clients::v1 as pb;
use crm_proto::clients::v1::client_service_client::ClientServiceClient;
use crm_testkit::{Keys, Running, authed};
use tonic::transport::Channel;
use uuid::Uuid;

/// A clients service, the keys to call it and its database (to read the outbox).
pub struct Env {
    pub keys: Keys,
    pub running: Running,
    pub backend: crm_db::Backend,
    pub db: sea_orm::DatabaseConnection,
}

/// Starts one clients service per backend.
pub async fn envs() -> Vec<Env> {
    let mut out = Vec::new();
    for db in crm_testkit::each_backend().await.expect("databases") {
        let keys = Keys::new().expect("keys");
        let deps = crm_testkit::deps::<crm_clients::Migrator>(&keys, &db)
            .await
            .expect("deps");
        let conn = deps.db.clone();
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
            db: conn,
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

    /// Returns the outbox rows of `event_type` for the organisation `org`, in order.
    pub async fn outbox(&self, org: Uuid, event_type: &str) -> Vec<crm_events::entity::Model> {
        use crm_db::Global as _;
        use crm_events::entity::{Column, Entity};
        use sea_orm::{ColumnTrait as _, QueryFilter as _, QueryOrder as _};
        Entity::find_global()
            .filter(Column::OrganisationId.eq(org))
            .filter(Column::EventType.eq(event_type))
            .order_by_asc(Column::Seq)
            .all(&self.db)
            .await
            .expect("outbox")
    }

    /// Returns an internal request from `service` acting in `org` (no user, no role).
    pub fn internal<T>(&self, service: &str, org: Uuid, msg: T) -> tonic::Request<T> {
        let now = chrono::Utc::now().timestamp();
        let token = self
            .keys
            .mesh
            .mint(service, "clients", Some(org), None, None, now)
            .expect("mint");
        let mut req = tonic::Request::new(msg);
        req.metadata_mut().insert(
            crm_kit::auth::INTERNAL_SERVICE_HEADER,
            service.parse().expect("value"),
        );
        req.metadata_mut().insert(
            crm_kit::auth::INTERNAL_TOKEN_HEADER,
            token.parse().expect("value"),
        );
        req
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

/// Valid SIRETs of distinct SIRENs, for companies that must not look alike.
pub const SIRETS: [&str; 4] = [
    "55210055400013",
    "54205118000017",
    "44306184100013",
    "73282932000017",
];

/// A company with the given SIRET.
pub fn company_siret(name: &str, siret: &str) -> pb::Client {
    pb::Client {
        kind: pb::ClientKind::Company as i32,
        company_name: name.into(),
        siret: siret.into(),
        ..Default::default()
    }
}

/// Returns the id of a member's sales-agent record as the API spells it.
pub fn cid(m: Member) -> String {
    m.commercial.map(|c| c.to_string()).unwrap_or_default()
}
