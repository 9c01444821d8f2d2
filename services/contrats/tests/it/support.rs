//! Shared set-up: per backend, the clients, commerciaux and products services, each with
//! its own database, and a contrats service pointed at them, all in-process on
//! ephemeral ports with the same keys; helpers to make fixtures and contracts.

use chrono::{Datelike as _, Days, NaiveDate, Utc};
use crm_kit::Role;
use crm_proto::clients::v1 as cl;
use crm_proto::clients::v1::client_service_client::ClientServiceClient;
use crm_proto::commerciaux::v1 as co;
use crm_proto::commerciaux::v1::commercial_service_client::CommercialServiceClient;
use crm_proto::common::v1 as common;
use crm_proto::contrats::v1 as pb;
use crm_proto::contrats::v1::contract_service_client::ContractServiceClient;
use crm_proto::events::v1 as ev;
use crm_proto::products::v1 as pr;
use crm_proto::products::v1::product_service_client::ProductServiceClient;
use crm_testkit::{Keys, Running, TestDatabase, authed};
use sea_orm::{ColumnTrait as _, QueryFilter as _, QueryOrder as _};
use tonic::transport::Channel;
use uuid::Uuid;

/// A contrats service, the services it reads, and the contrats database.
pub struct Env {
    pub keys: Keys,
    pub backend: crm_db::Backend,
    pub db: TestDatabase,
    pub contrats: Running,
    pub clients: Running,
    pub commerciaux: Running,
    pub products: Running,
    pub payments: Running,
    // The other services' databases live as long as the services.
    _dbs: Vec<TestDatabase>,
}

/// Starts one stack per backend.
pub async fn envs() -> Vec<Env> {
    let mut out = Vec::new();
    for db in crm_testkit::each_backend().await.expect("databases") {
        let keys = Keys::new().expect("keys");
        let backend = db.backend;
        let mut dbs = Vec::new();
        for _ in 0..4 {
            dbs.push(crm_testkit::fresh(backend).await.expect("database"));
        }
        let [clients_db, commerciaux_db, products_db, payments_db] = &dbs[..] else {
            unreachable!("four databases");
        };
        let payments = crm_testkit::spawn(
            crm_testkit::deps::<crm_payments::Migrator>(&keys, payments_db)
                .await
                .expect("payments deps"),
            |deps| crm_payments::build_with(deps, crm_payments::IbanKey::from_bytes([7; 32])),
        )
        .await
        .expect("payments");
        let commerciaux = crm_testkit::spawn(
            crm_testkit::deps::<crm_commerciaux::Migrator>(&keys, commerciaux_db)
                .await
                .expect("commerciaux deps"),
            crm_commerciaux::build,
        )
        .await
        .expect("commerciaux");
        // clients and contrats ask each other: bind contrats' port first.
        let ports = crm_testkit::Ports::bind().await.expect("ports");
        let mut deps = crm_testkit::deps::<crm_clients::Migrator>(&keys, clients_db)
            .await
            .expect("clients deps");
        deps.config
            .services
            .insert("commerciaux".into(), commerciaux.url.clone());
        deps.config
            .services
            .insert("contrats".into(), ports.url.clone());
        let clients = crm_testkit::spawn(deps, crm_clients::build)
            .await
            .expect("clients");
        let products = crm_testkit::spawn(
            crm_testkit::deps::<crm_products::Migrator>(&keys, products_db)
                .await
                .expect("products deps"),
            crm_products::build,
        )
        .await
        .expect("products");
        let urls = [
            ("clients", clients.url.clone()),
            ("commerciaux", commerciaux.url.clone()),
            ("products", products.url.clone()),
            ("payments", payments.url.clone()),
        ];
        let contrats = spawn_contrats_on(ports, &keys, &db, &urls).await;
        out.push(Env {
            keys,
            backend,
            db,
            contrats,
            clients,
            commerciaux,
            products,
            payments,
            _dbs: dbs,
        });
    }
    out
}

/// Starts a contrats service over `db` that finds the services of `urls` there.
pub async fn spawn_contrats(keys: &Keys, db: &TestDatabase, urls: &[(&str, String)]) -> Running {
    let ports = crm_testkit::Ports::bind().await.expect("ports");
    spawn_contrats_on(ports, keys, db, urls).await
}

/// Starts a contrats service on `ports`, as [`spawn_contrats`].
pub async fn spawn_contrats_on(
    ports: crm_testkit::Ports,
    keys: &Keys,
    db: &TestDatabase,
    urls: &[(&str, String)],
) -> Running {
    let mut deps = crm_testkit::deps::<crm_contrats::Migrator>(keys, db)
        .await
        .expect("contrats deps");
    for (name, url) in urls {
        deps.config.services.insert((*name).into(), url.clone());
    }
    crm_testkit::spawn_on(ports, deps, crm_contrats::build)
        .await
        .expect("contrats")
}

/// A member of an organisation.
#[derive(Clone, Copy, Debug)]
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

    /// An admin of a new organisation.
    pub fn admin() -> Self {
        Self::new(Uuid::now_v7(), Role::Admin)
    }

    /// An agent of `org` whose sales-agent record is `commercial`.
    pub fn agent(org: Uuid, commercial: &str) -> Self {
        Self {
            commercial: Uuid::parse_str(commercial).ok(),
            ..Self::new(org, Role::Agent)
        }
    }

    /// Another member of the same organisation with `role`.
    pub fn with_role(self, role: Role) -> Self {
        Self::new(self.org, role)
    }
}

/// What a contract needs, made in one organisation: a client (a person), an active
/// sales agent and a product priced 49.90 EUR a month since 2020.
#[derive(Clone, Debug)]
pub struct Fixture {
    pub admin: Member,
    pub client: String,
    pub commercial: String,
    pub product: String,
}

impl Env {
    pub fn api(&self) -> ContractServiceClient<Channel> {
        ContractServiceClient::new(self.contrats.channel.clone())
    }

    pub fn req<T>(&self, who: Member, msg: T) -> tonic::Request<T> {
        let token = self
            .keys
            .token_with_commercial(who.org, who.user, who.role, who.commercial);
        authed(&token, msg)
    }

    /// Makes a fixture in a new organisation.
    pub async fn fixture(&self) -> Fixture {
        self.fixture_in(Member::admin()).await
    }

    /// Makes a fixture in the organisation of `admin`.
    pub async fn fixture_in(&self, admin: Member) -> Fixture {
        let commercial = self.new_commercial(admin).await;
        let client = self
            .new_client(admin, cl::ClientKind::Person, &commercial)
            .await;
        let product = self.new_product(admin, 4_990).await;
        Fixture {
            admin,
            client,
            commercial,
            product,
        }
    }

    pub async fn new_client(
        &self,
        admin: Member,
        kind: cl::ClientKind,
        commercial: &str,
    ) -> String {
        let tag = Uuid::new_v4().simple().to_string();
        let client = match kind {
            cl::ClientKind::Company => cl::Client {
                kind: kind as i32,
                company_name: format!("Société {tag}"),
                siret: "35600000000048".into(),
                commercial_id: commercial.into(),
                ..Default::default()
            },
            _ => cl::Client {
                kind: cl::ClientKind::Person as i32,
                first_name: "Jeanne".into(),
                last_name: format!("Client {tag}"),
                email: format!("{tag}@example.fr"),
                commercial_id: commercial.into(),
                ..Default::default()
            },
        };
        let request = cl::CreateClientRequest {
            client: Some(client),
            ..Default::default()
        };
        ClientServiceClient::new(self.clients.channel.clone())
            .create_client(self.req(admin, request))
            .await
            .expect("create client")
            .into_inner()
            .client
            .expect("client")
            .id
    }

    pub async fn archive_client(&self, admin: Member, id: &str) {
        ClientServiceClient::new(self.clients.channel.clone())
            .archive_client(self.req(
                admin,
                cl::ArchiveClientRequest {
                    client_id: id.into(),
                },
            ))
            .await
            .expect("archive client");
    }

    pub async fn new_commercial(&self, admin: Member) -> String {
        self.new_commercial_under(admin, "").await
    }

    /// Makes an active sales agent reporting to `manager` (none when empty).
    pub async fn new_commercial_under(&self, admin: Member, manager: &str) -> String {
        let code = format!("COM-{}", &Uuid::new_v4().simple().to_string()[..8]);
        let request = co::CreateCommercialRequest {
            commercial: Some(co::Commercial {
                code: code.clone(),
                first_name: "Paul".into(),
                last_name: format!("Agent {code}"),
                email: format!("{}@example.fr", code.to_lowercase()),
                manager_id: manager.into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        CommercialServiceClient::new(self.commerciaux.channel.clone())
            .create_commercial(self.req(admin, request))
            .await
            .expect("create commercial")
            .into_inner()
            .commercial
            .expect("commercial")
            .id
    }

    /// Records an active (signed) SEPA mandate of `client` under `reference`, with a
    /// creditor account of its own.
    pub async fn new_mandate(&self, admin: Member, client: &str, reference: &str) {
        use crm_proto::payments::v1 as pa;
        use crm_proto::payments::v1::payment_service_client::PaymentServiceClient;
        let mut api = PaymentServiceClient::new(self.payments.channel.clone());
        let account = api
            .create_creditor_account(self.req(
                admin,
                pa::CreateCreditorAccountRequest {
                    creditor_account: Some(pa::CreditorAccount {
                        name: "Assurances Exemple".into(),
                        creditor_identifier: "FR72ZZZ123456".into(),
                        iban: "FR7630006000011234567890189".into(),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                },
            ))
            .await
            .expect("creditor account")
            .into_inner()
            .creditor_account
            .expect("account");
        api.create_mandate(self.req(
            admin,
            pa::CreateMandateRequest {
                creditor_account_id: account.id,
                reference: reference.into(),
                client_id: client.into(),
                debtor_name: "Jeanne Client".into(),
                iban: "FR7630006000011234567890189".into(),
                signature_date: Some(date(today() - chrono::Days::new(30))),
                r#type: ev::MandateType::Recurrent as i32,
                scheme: ev::MandateScheme::Core as i32,
                ..Default::default()
            },
        ))
        .await
        .expect("mandate");
    }

    pub async fn deactivate_commercial(&self, admin: Member, id: &str) {
        CommercialServiceClient::new(self.commerciaux.channel.clone())
            .deactivate_commercial(self.req(
                admin,
                co::DeactivateCommercialRequest {
                    commercial_id: id.into(),
                    ..Default::default()
                },
            ))
            .await
            .expect("deactivate commercial");
    }

    /// Makes a monthly, VAT-exempt product priced `amount` EUR cents since 2020-01-01.
    pub async fn new_product(&self, admin: Member, amount: i64) -> String {
        let code = format!("P-{}", &Uuid::new_v4().simple().to_string()[..8]);
        let request = pr::CreateProductRequest {
            product: Some(pr::Product {
                code: code.clone(),
                name: format!("Assurance {code}"),
                kind: pr::ProductKind::Subscription as i32,
                billing_frequency: pr::BillingFrequency::Monthly as i32,
                vat_category: pr::VatCategory::Exempt as i32,
                ..Default::default()
            }),
            initial_price: Some(eur(amount)),
            initial_price_valid_from: Some(date(ymd(2020, 1, 1))),
            ..Default::default()
        };
        ProductServiceClient::new(self.products.channel.clone())
            .create_product(self.req(admin, request))
            .await
            .expect("create product")
            .into_inner()
            .product
            .expect("product")
            .id
    }

    pub async fn archive_product(&self, admin: Member, id: &str) {
        ProductServiceClient::new(self.products.channel.clone())
            .archive_product(self.req(
                admin,
                pr::ArchiveProductRequest {
                    product_id: id.into(),
                },
            ))
            .await
            .expect("archive product");
    }

    pub async fn set_price(&self, admin: Member, id: &str, amount: i64, from: NaiveDate) {
        ProductServiceClient::new(self.products.channel.clone())
            .set_price(self.req(
                admin,
                pr::SetPriceRequest {
                    product_id: id.into(),
                    price: Some(eur(amount)),
                    valid_from: Some(date(from)),
                    ..Default::default()
                },
            ))
            .await
            .expect("set price");
    }

    pub async fn create(
        &self,
        who: Member,
        contract: pb::Contract,
    ) -> Result<pb::Contract, tonic::Status> {
        let res = self
            .api()
            .create_contract(self.req(
                who,
                pb::CreateContractRequest {
                    contract: Some(contract),
                    request_id: String::new(),
                },
            ))
            .await?;
        Ok(res.into_inner().contract.expect("contract"))
    }

    pub async fn get(&self, who: Member, id: &str) -> Result<pb::Contract, tonic::Status> {
        let res = self
            .api()
            .get_contract(self.req(
                who,
                pb::GetContractRequest {
                    contract_id: id.into(),
                },
            ))
            .await?;
        Ok(res.into_inner().contract.expect("contract"))
    }

    pub async fn send(&self, who: Member, id: &str) -> Result<pb::Contract, tonic::Status> {
        let res = self
            .api()
            .send_for_signature(self.req(
                who,
                pb::SendForSignatureRequest {
                    contract_id: id.into(),
                    version: 0,
                },
            ))
            .await?;
        Ok(res.into_inner().contract.expect("contract"))
    }

    pub async fn sign_on(
        &self,
        who: Member,
        id: &str,
        on: NaiveDate,
    ) -> Result<pb::Contract, tonic::Status> {
        let res = self
            .api()
            .sign_contract(self.req(
                who,
                pb::SignContractRequest {
                    contract_id: id.into(),
                    signer_name: "Jeanne Client".into(),
                    signature_date: Some(date(on)),
                    ..Default::default()
                },
            ))
            .await?;
        Ok(res.into_inner().contract.expect("contract"))
    }

    /// Creates a draft from `f` (card, distance selling) and takes it to ACTIVE, signed
    /// on `signed`.
    pub async fn active(&self, f: &Fixture, signed: NaiveDate) -> pb::Contract {
        let c = self.create(f.admin, draft(f)).await.expect("create");
        self.send(f.admin, &c.id).await.expect("send");
        self.sign_on(f.admin, &c.id, signed).await.expect("sign")
    }

    pub async fn terminate(
        &self,
        who: Member,
        id: &str,
        cause: ev::TerminationCause,
        on: NaiveDate,
    ) -> Result<pb::Contract, tonic::Status> {
        let res = self
            .api()
            .terminate_contract(self.req(
                who,
                pb::TerminateContractRequest {
                    contract_id: id.into(),
                    termination_date: Some(date(on)),
                    cause: cause as i32,
                    reason: "lettre recommandée".into(),
                    version: 0,
                },
            ))
            .await?;
        Ok(res.into_inner().contract.expect("contract"))
    }

    pub async fn list(
        &self,
        who: Member,
        req: pb::ListContractsRequest,
    ) -> Result<pb::ListContractsResponse, tonic::Status> {
        Ok(self
            .api()
            .list_contracts(self.req(who, req))
            .await?
            .into_inner())
    }

    /// Returns the outbox rows of the contrats database, in order, for `org`.
    pub async fn outbox(&self, org: Uuid) -> Vec<crm_events::entity::outbox::Model> {
        use crm_db::Global as _;
        use crm_events::entity::outbox::{Column, Entity};
        Entity::find_global()
            .filter(Column::OrganisationId.eq(org))
            .order_by_asc(Column::Seq)
            .all(&self.db.db)
            .await
            .expect("outbox")
    }
}

/// A draft for the fixture: one line of the product, quantity 1, starting today, 12
/// months, billed on the 5th, by card, sold at a distance.
pub fn draft(f: &Fixture) -> pb::Contract {
    pb::Contract {
        client_id: f.client.clone(),
        commercial_id: f.commercial.clone(),
        lines: vec![line(&f.product, 1)],
        start_date: Some(date(today())),
        term_months: 12,
        tacit_renewal: true,
        billing_day: 5,
        payment_method: ev::PaymentMethod::Card as i32,
        sales_channel: ev::SalesChannel::Distance as i32,
        ..Default::default()
    }
}

pub fn line(product: &str, quantity: i32) -> pb::ContractLine {
    pb::ContractLine {
        product_id: product.into(),
        quantity,
        ..Default::default()
    }
}

pub fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

pub fn date(d: NaiveDate) -> common::Date {
    common::Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    }
}

pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

pub fn days_ago(n: u64) -> NaiveDate {
    today().checked_sub_days(Days::new(n)).expect("date")
}

pub fn eur(amount_minor: i64) -> common::Money {
    common::Money {
        currency_code: "EUR".into(),
        amount_minor,
    }
}

/// Returns the unit price of the contract's first line, in minor units.
pub fn first_price(c: &pb::Contract) -> i64 {
    c.lines
        .first()
        .and_then(|l| l.unit_price.as_ref())
        .map(|m| m.amount_minor)
        .unwrap_or(-1)
}

/// Returns the field names of a status's BadRequest detail.
pub fn violation_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt as _;
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|f| f.field).collect())
        .unwrap_or_default()
}

/// Returns the subjects of a status's PreconditionFailure detail.
pub fn precondition_subjects(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt as _;
    status
        .get_details_precondition_failure()
        .map(|p| p.violations.into_iter().map(|v| v.subject).collect())
        .unwrap_or_default()
}
