//! Shared set-up: per backend, a clients service with the services it asks (commerciaux
//! for sales agents and teams, contrats for contracts in force, and products, which
//! contrats reads), each with its own database, in-process on ephemeral ports with the
//! same keys; request helpers.

use crm_kit::Role;
use crm_kit::bootstrap::Deps;
use crm_proto::clients::v1 as pb;
use crm_proto::clients::v1::client_service_client::ClientServiceClient;
use crm_testkit::{Keys, Running, TestDatabase, authed};
use tonic::transport::Channel;
use uuid::Uuid;

/// A clients service, the keys to call it and its database (to read the outbox), and
/// the services it asks.
pub struct Env {
    pub keys: Keys,
    pub running: Running,
    pub backend: crm_db::Backend,
    pub db: sea_orm::DatabaseConnection,
    pub commerciaux: Running,
    pub products: Running,
    pub contrats: Running,
    // The databases live as long as the services.
    _dbs: Vec<TestDatabase>,
}

/// Starts one stack per backend.
pub async fn envs() -> Vec<Env> {
    let mut out = Vec::new();
    for db in crm_testkit::each_backend().await.expect("databases") {
        let keys = Keys::new().expect("keys");
        let deps = crm_testkit::deps::<crm_clients::Migrator>(&keys, &db)
            .await
            .expect("deps");
        out.push(env_with(keys, db, deps).await);
    }
    out
}

/// Starts a clients service from `deps` (over `db`), with the services it asks around
/// it, each with a database of its own.
pub async fn env_with(keys: Keys, db: TestDatabase, mut deps: Deps) -> Env {
    let backend = db.backend;
    let mut dbs = Vec::new();
    for _ in 0..3 {
        dbs.push(crm_testkit::fresh(backend).await.expect("database"));
    }
    let commerciaux = crm_testkit::spawn(
        crm_testkit::deps::<crm_commerciaux::Migrator>(&keys, &dbs[0])
            .await
            .expect("commerciaux deps"),
        crm_commerciaux::build,
    )
    .await
    .expect("commerciaux");
    let products = crm_testkit::spawn(
        crm_testkit::deps::<crm_products::Migrator>(&keys, &dbs[1])
            .await
            .expect("products deps"),
        crm_products::build,
    )
    .await
    .expect("products");
    // clients and contrats ask each other: bind clients' port first.
    let ports = crm_testkit::Ports::bind().await.expect("ports");
    let mut contrats_deps = crm_testkit::deps::<crm_contrats::Migrator>(&keys, &dbs[2])
        .await
        .expect("contrats deps");
    for (name, url) in [
        ("clients", &ports.url),
        ("commerciaux", &commerciaux.url),
        ("products", &products.url),
    ] {
        contrats_deps
            .config
            .services
            .insert(name.into(), url.clone());
    }
    let contrats = crm_testkit::spawn(contrats_deps, crm_contrats::build)
        .await
        .expect("contrats");
    deps.config
        .services
        .insert("commerciaux".into(), commerciaux.url.clone());
    deps.config
        .services
        .insert("contrats".into(), contrats.url.clone());
    let conn = deps.db.clone();
    let running = crm_testkit::spawn_on(ports, deps, crm_clients::build)
        .await
        .expect("spawn");
    dbs.push(db);
    Env {
        keys,
        running,
        backend,
        db: conn,
        commerciaux,
        products,
        contrats,
        _dbs: dbs,
    }
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

    /// Another member of the same organisation with `role` and sales-agent record
    /// `commercial`.
    pub fn as_commercial(org: Uuid, role: Role, commercial: Uuid) -> Self {
        Self {
            commercial: Some(commercial),
            ..Self::new(org, role)
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

    /// Makes an active sales agent in `org`, under `manager` when given, and returns
    /// its id.
    pub async fn commercial_under(&self, org: Uuid, manager: Option<Uuid>) -> Uuid {
        use crm_proto::commerciaux::v1 as co;
        use crm_proto::commerciaux::v1::commercial_service_client::CommercialServiceClient;
        let code = format!("COM-{}", &Uuid::new_v4().simple().to_string()[..8]);
        let request = co::CreateCommercialRequest {
            commercial: Some(co::Commercial {
                code: code.clone(),
                first_name: "Paul".into(),
                last_name: format!("Agent {code}"),
                email: format!("{}@example.fr", code.to_lowercase()),
                manager_id: manager.map(|m| m.to_string()).unwrap_or_default(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let admin = Member::new(org, Role::Admin);
        let id = CommercialServiceClient::new(self.commerciaux.channel.clone())
            .create_commercial(self.req(admin, request))
            .await
            .expect("create commercial")
            .into_inner()
            .commercial
            .expect("commercial")
            .id;
        Uuid::parse_str(&id).expect("commercial id")
    }

    /// Makes an active sales agent in `org` and returns its id.
    pub async fn commercial(&self, org: Uuid) -> Uuid {
        self.commercial_under(org, None).await
    }

    /// Returns an agent of `org` with a new sales-agent record.
    pub async fn agent(&self, org: Uuid) -> Member {
        Member::as_commercial(org, Role::Agent, self.commercial(org).await)
    }

    /// Returns a manager of `org` with a new sales-agent record.
    pub async fn manager(&self, org: Uuid) -> Member {
        Member::as_commercial(org, Role::Manager, self.commercial(org).await)
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
