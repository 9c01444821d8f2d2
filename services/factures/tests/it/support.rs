//! Shared set-up: per backend, a factures service with the services it reads
//! (organisations, clients, commerciaux, referentiel, and for billing runs contrats and
//! products), each with its own database, in-process on ephemeral ports with the same
//! keys; helpers to make organisations, clients, drafts and issued invoices.

use chrono::{Datelike as _, NaiveDate, Utc};
use crm_kit::Role;
use crm_proto::clients::v1 as cl;
use crm_proto::clients::v1::client_service_client::ClientServiceClient;
use crm_proto::common::v1 as common;
use crm_proto::factures::v1 as pb;
use crm_proto::factures::v1::invoice_service_client::InvoiceServiceClient;
use crm_proto::organisations::v1 as org;
use crm_proto::organisations::v1::organisation_service_client::OrganisationServiceClient;
use crm_testkit::{Keys, Running, TestDatabase, authed};
use tonic::transport::Channel;
use uuid::Uuid;

/// A factures service, the services it reads, and the factures database.
pub struct Env {
    pub keys: Keys,
    pub backend: crm_db::Backend,
    pub db: TestDatabase,
    pub factures: Running,
    pub organisations: Running,
    pub clients: Running,
    pub commerciaux: Running,
    /// Read by factures only.
    _referentiel: Running,
    /// With [`Stack::Contracts`]: contrats and products.
    pub contrats: Option<Running>,
    pub products: Option<Running>,
    /// The addresses factures was given, for handlers built by hand.
    pub urls: Vec<(&'static str, String)>,
    /// The other services' databases: organisations, commerciaux, referentiel, clients,
    /// products, contrats.
    pub dbs: Vec<TestDatabase>,
}

/// Which services to start around factures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stack {
    /// organisations, clients, commerciaux, referentiel.
    Invoices,
    /// The same plus products and contrats, for billing runs.
    Contracts,
}

/// Starts one stack per backend.
pub async fn envs(stack: Stack) -> Vec<Env> {
    let mut out = Vec::new();
    for db in crm_testkit::each_backend().await.expect("databases") {
        out.push(start(db, stack).await);
    }
    out
}

async fn spawn_with<M, F, Fut>(
    keys: &Keys,
    db: &TestDatabase,
    ports: Option<crm_testkit::Ports>,
    urls: &[(&str, String)],
    build: F,
) -> Running
where
    M: sea_orm_migration::MigratorTrait,
    F: FnOnce(crm_kit::bootstrap::Deps) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<crm_kit::Server>>,
{
    let mut deps = crm_testkit::deps::<M>(keys, db).await.expect("deps");
    for (name, url) in urls {
        deps.config.services.insert((*name).into(), url.clone());
    }
    let ports = match ports {
        Some(p) => p,
        None => crm_testkit::Ports::bind().await.expect("ports"),
    };
    crm_testkit::spawn_on(ports, deps, build)
        .await
        .expect("service")
}

async fn start(db: TestDatabase, stack: Stack) -> Env {
    let keys = Keys::new().expect("keys");
    let backend = db.backend;
    let mut dbs = Vec::new();
    for _ in 0..6 {
        dbs.push(crm_testkit::fresh(backend).await.expect("database"));
    }
    let organisations = spawn_with::<crm_organisations::Migrator, _, _>(
        &keys,
        &dbs[0],
        None,
        &[],
        crm_organisations::build,
    )
    .await;
    let commerciaux = spawn_with::<crm_commerciaux::Migrator, _, _>(
        &keys,
        &dbs[1],
        None,
        &[],
        crm_commerciaux::build,
    )
    .await;
    let referentiel = spawn_with::<crm_referentiel::Migrator, _, _>(
        &keys,
        &dbs[2],
        None,
        &[],
        crm_referentiel::build,
    )
    .await;
    // clients and contrats ask each other: bind contrats' port first.
    let contrats_ports = crm_testkit::Ports::bind().await.expect("ports");
    let clients = spawn_with::<crm_clients::Migrator, _, _>(
        &keys,
        &dbs[3],
        None,
        &[
            ("commerciaux", commerciaux.url.clone()),
            ("contrats", contrats_ports.url.clone()),
        ],
        crm_clients::build,
    )
    .await;
    let (contrats, products) = if stack == Stack::Contracts {
        let products = spawn_with::<crm_products::Migrator, _, _>(
            &keys,
            &dbs[4],
            None,
            &[],
            crm_products::build,
        )
        .await;
        let contrats = spawn_with::<crm_contrats::Migrator, _, _>(
            &keys,
            &dbs[5],
            Some(contrats_ports),
            &[
                ("clients", clients.url.clone()),
                ("commerciaux", commerciaux.url.clone()),
                ("products", products.url.clone()),
            ],
            crm_contrats::build,
        )
        .await;
        (Some(contrats), Some(products))
    } else {
        (None, None)
    };
    let contrats_url = contrats
        .as_ref()
        .map_or_else(|| "http://127.0.0.1:1".to_owned(), |c| c.url.clone());
    let urls = vec![
        ("organisations", organisations.url.clone()),
        ("clients", clients.url.clone()),
        ("commerciaux", commerciaux.url.clone()),
        ("referentiel", referentiel.url.clone()),
        ("contrats", contrats_url),
    ];
    let factures =
        spawn_with::<crm_factures::Migrator, _, _>(&keys, &db, None, &urls, crm_factures::build)
            .await;
    Env {
        keys,
        backend,
        db,
        factures,
        organisations,
        clients,
        commerciaux,
        _referentiel: referentiel,
        contrats,
        products,
        urls,
        dbs,
    }
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
    /// Another member of the same organisation with `role`.
    pub fn with_role(self, role: Role) -> Self {
        Self {
            org: self.org,
            user: Uuid::now_v7(),
            role,
            commercial: None,
        }
    }
}

/// The organisation address settings every test organisation has.
pub fn seller_settings() -> Vec<(String, String)> {
    [
        ("address_line1", "12 rue de la Paix"),
        ("postal_code", "75002"),
        ("city", "Paris"),
        ("legal_form", "SAS"),
        ("share_capital", "10 000 EUR"),
        ("rcs", "RCS Paris 732 829 320"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

impl Env {
    pub fn api(&self) -> InvoiceServiceClient<Channel> {
        InvoiceServiceClient::new(self.factures.channel.clone())
    }

    pub fn req<T>(&self, who: Member, msg: T) -> tonic::Request<T> {
        let token = self
            .keys
            .token_with_commercial(who.org, who.user, who.role, who.commercial);
        authed(&token, msg)
    }

    /// Returns an internal request from `service` acting in `org` (no user, no role).
    pub fn internal<T>(&self, service: &str, org: Uuid, msg: T) -> tonic::Request<T> {
        let token = self
            .keys
            .mesh
            .mint(
                service,
                "factures",
                Some(org),
                None,
                None,
                Utc::now().timestamp(),
            )
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

    /// Creates an organisation with its legal identity and address; returns its owner.
    pub async fn organisation(&self, settings: Vec<(String, String)>) -> Member {
        self.organisation_with("Assur Conseil", "732829320", settings)
            .await
    }

    /// Creates an organisation with the given legal name, SIREN and settings.
    pub async fn organisation_with(
        &self,
        legal_name: &str,
        siren: &str,
        settings: Vec<(String, String)>,
    ) -> Member {
        let user = Uuid::now_v7();
        let claims =
            crm_kit::auth::tokens::AccessClaims::new(user, None, None, Utc::now().timestamp());
        let token = self.keys.signer.sign(&claims).expect("sign");
        let created = OrganisationServiceClient::new(self.organisations.channel.clone())
            .create_organisation(authed(
                &token,
                org::CreateOrganisationRequest {
                    organisation: Some(org::Organisation {
                        name: format!("{legal_name} {}", &Uuid::new_v4().simple().to_string()[..6]),
                        legal_name: legal_name.into(),
                        siren: siren.into(),
                        settings: settings.into_iter().collect(),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                },
            ))
            .await
            .expect("create organisation")
            .into_inner()
            .organisation
            .expect("organisation");
        Member {
            org: created.id.parse().expect("id"),
            user,
            role: Role::Owner,
            commercial: None,
        }
    }

    /// Creates a client of `owner`'s organisation; a person with a postal address, or a
    /// company with a SIRET, assigned to `commercial` when given.
    pub async fn client(
        &self,
        owner: Member,
        kind: cl::ClientKind,
        commercial: Option<Uuid>,
    ) -> String {
        let tag = Uuid::new_v4().simple().to_string();
        let address = Some(common::Address {
            line1: "3 avenue Foch".into(),
            postal_code: "69006".into(),
            city: "Lyon".into(),
            country_code: "FR".into(),
            ..Default::default()
        });
        let client = match kind {
            cl::ClientKind::Company => cl::Client {
                kind: kind as i32,
                company_name: format!("Société {tag}"),
                siret: "35600000000048".into(),
                postal_address: address,
                ..Default::default()
            },
            _ => cl::Client {
                kind: cl::ClientKind::Person as i32,
                first_name: "Jeanne".into(),
                last_name: format!("Martin {tag}"),
                email: format!("{tag}@example.fr"),
                postal_address: address,
                ..Default::default()
            },
        };
        let client = cl::Client {
            commercial_id: commercial.map(|c| c.to_string()).unwrap_or_default(),
            ..client
        };
        self.create_client(owner, client).await
    }

    pub async fn create_client(&self, owner: Member, client: cl::Client) -> String {
        ClientServiceClient::new(self.clients.channel.clone())
            .create_client(self.req(
                owner,
                cl::CreateClientRequest {
                    client: Some(client),
                    request_id: String::new(),
                },
            ))
            .await
            .expect("create client")
            .into_inner()
            .client
            .expect("client")
            .id
    }

    /// Creates an active sales agent of `owner`'s organisation.
    pub async fn commercial(&self, owner: Member) -> Uuid {
        use crm_proto::commerciaux::v1 as co;
        let code = format!("COM-{}", &Uuid::new_v4().simple().to_string()[..8]);
        let created = co::commercial_service_client::CommercialServiceClient::new(
            self.commerciaux.channel.clone(),
        )
        .create_commercial(self.req(
            owner,
            co::CreateCommercialRequest {
                commercial: Some(co::Commercial {
                    code: code.clone(),
                    first_name: "Paul".into(),
                    last_name: format!("Agent {code}"),
                    email: format!("{}@example.fr", code.to_lowercase()),
                    ..Default::default()
                }),
                ..Default::default()
            },
        ))
        .await
        .expect("create commercial")
        .into_inner()
        .commercial
        .expect("commercial");
        created.id.parse().expect("id")
    }

    pub async fn create_draft(
        &self,
        who: Member,
        invoice: pb::Invoice,
    ) -> Result<pb::Invoice, tonic::Status> {
        let res = self
            .api()
            .create_draft_invoice(self.req(
                who,
                pb::CreateDraftInvoiceRequest {
                    invoice: Some(invoice),
                    request_id: String::new(),
                },
            ))
            .await?;
        Ok(res.into_inner().invoice.expect("invoice"))
    }

    pub async fn issue(&self, who: Member, id: &str) -> Result<pb::Invoice, tonic::Status> {
        let res = self
            .api()
            .issue_invoice(self.req(
                who,
                pb::IssueInvoiceRequest {
                    invoice_id: id.into(),
                    version: 0,
                },
            ))
            .await?;
        Ok(res.into_inner().invoice.expect("invoice"))
    }

    /// Creates and issues an invoice of `lines` for `client`.
    pub async fn issued(
        &self,
        who: Member,
        client: &str,
        lines: Vec<pb::InvoiceLine>,
    ) -> pb::Invoice {
        let draft = self
            .create_draft(who, draft_for(client, lines))
            .await
            .expect("draft");
        self.issue(who, &draft.id).await.expect("issue")
    }

    pub async fn get(&self, who: Member, id: &str) -> Result<pb::Invoice, tonic::Status> {
        let res = self
            .api()
            .get_invoice(self.req(
                who,
                pb::GetInvoiceRequest {
                    invoice_id: id.into(),
                },
            ))
            .await?;
        Ok(res.into_inner().invoice.expect("invoice"))
    }

    pub async fn credit(
        &self,
        who: Member,
        id: &str,
        full: bool,
        lines: Vec<pb::InvoiceLine>,
    ) -> Result<pb::CreateCreditNoteResponse, tonic::Status> {
        let res = self
            .api()
            .create_credit_note(self.req(
                who,
                pb::CreateCreditNoteRequest {
                    invoice_id: id.into(),
                    full,
                    lines,
                    reason: "geste commercial".into(),
                    request_id: String::new(),
                },
            ))
            .await?;
        Ok(res.into_inner())
    }

    /// Records a payment through RecordPayment as the payments service.
    pub async fn pay(
        &self,
        org: Uuid,
        id: &str,
        payment: Uuid,
        amount: i64,
    ) -> Result<pb::Invoice, tonic::Status> {
        let res = self
            .api()
            .record_payment(self.internal(
                "payments",
                org,
                pb::RecordPaymentRequest {
                    invoice_id: id.into(),
                    payment_id: payment.to_string(),
                    amount: Some(eur(amount)),
                    paid_date: Some(date(today())),
                },
            ))
            .await?;
        Ok(res.into_inner().invoice.expect("invoice"))
    }

    /// Returns the outbox rows of `event_type` for `org`, in order.
    pub async fn outbox(&self, org: Uuid, event_type: &str) -> Vec<crm_events::entity::Model> {
        use crm_db::Global as _;
        use crm_events::entity::{Column, Entity};
        use sea_orm::{ColumnTrait as _, QueryFilter as _, QueryOrder as _};
        Entity::find_global()
            .filter(Column::OrganisationId.eq(org))
            .filter(Column::EventType.eq(event_type))
            .order_by_asc(Column::Seq)
            .all(&self.db.db)
            .await
            .expect("outbox")
    }

    /// Returns the kit configuration factures was started with (its services' addresses).
    pub fn config(&self) -> crm_kit::config::KitConfig {
        let mut config = crm_kit::config::KitConfig::default();
        for (name, url) in &self.urls {
            config.services.insert((*name).into(), url.clone());
        }
        config
    }
}

/// Returns a draft for `client` with `lines`.
pub fn draft_for(client: &str, lines: Vec<pb::InvoiceLine>) -> pb::Invoice {
    pb::Invoice {
        client_id: client.into(),
        lines,
        ..Default::default()
    }
}

/// Returns a line of `quantity` × `unit` cents in `category`.
pub fn line(label: &str, quantity: i32, unit: i64, category: &str) -> pb::InvoiceLine {
    pb::InvoiceLine {
        label: label.into(),
        quantity,
        unit_price: Some(eur(unit)),
        vat_category: category.into(),
        ..Default::default()
    }
}

pub fn eur(amount_minor: i64) -> common::Money {
    common::Money {
        currency_code: "EUR".into(),
        amount_minor,
    }
}

pub fn amount(m: &Option<common::Money>) -> i64 {
    m.as_ref().map_or(i64::MIN, |m| m.amount_minor)
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

pub fn from_date(d: &Option<common::Date>) -> NaiveDate {
    let d = d.as_ref().expect("date");
    NaiveDate::from_ymd_opt(d.year, d.month as u32, d.day as u32).expect("valid date")
}

/// Today in Europe/Paris, the test organisations' time zone: the issue date.
pub fn today() -> NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive()
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

/// Returns the sequence of a number "F-2026-000042" (42).
pub fn sequence(number: &str) -> i64 {
    number
        .rsplit('-')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("sequence")
}
