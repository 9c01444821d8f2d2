//! Shared set-up: per backend, the commerciaux and products services (each with its own
//! database) and a commission service pointed at them, all in-process on ephemeral
//! ports with the same keys; an outbox standing for the publishing services, relayed to
//! the commission service's bus; helpers to make fixtures and events.

use chrono::{Datelike as _, NaiveDate, Utc};
use crm_kit::Role;
use crm_proto::commerciaux::v1 as co;
use crm_proto::commerciaux::v1::commercial_service_client::CommercialServiceClient;
use crm_proto::commission::v1 as pb;
use crm_proto::commission::v1::commission_service_client::CommissionServiceClient;
use crm_proto::common::v1 as common;
use crm_proto::events::v1 as ev;
use crm_proto::products::v1 as pr;
use crm_proto::products::v1::product_service_client::ProductServiceClient;
use crm_testkit::{Keys, Running, TestDatabase, authed};
use prost::Message as _;
use sea_orm::{ColumnTrait as _, QueryFilter as _, QueryOrder as _};
use sea_orm_migration::prelude::*;
use tonic::transport::Channel;
use uuid::Uuid;

/// The outbox tables only: the database of the services publishing the events.
struct EventsOnly;

#[async_trait::async_trait]
impl MigratorTrait for EventsOnly {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        crm_events::migration::all()
    }
}

/// A commission service, the services it reads, its database and an outbox whose
/// events reach it.
pub struct Env {
    pub keys: Keys,
    pub backend: crm_db::Backend,
    pub db: TestDatabase,
    pub commission: Running,
    pub commerciaux: Running,
    pub products: Running,
    pub outbox: TestDatabase,
    pub commerciaux_db: TestDatabase,
    relay: crm_events::Relay,
    // The products database lives as long as the service.
    _products_db: TestDatabase,
}

/// Starts one stack per backend.
pub async fn envs() -> Vec<Env> {
    let mut out = Vec::new();
    for db in crm_testkit::each_backend().await.expect("databases") {
        let keys = Keys::new().expect("keys");
        let backend = db.backend;
        let commerciaux_db = crm_testkit::fresh(backend).await.expect("database");
        let products_db = crm_testkit::fresh(backend).await.expect("database");
        let outbox = crm_testkit::fresh(backend).await.expect("outbox database");
        crm_db::migrate::<EventsOnly>(&outbox.db)
            .await
            .expect("outbox");
        let commerciaux = crm_testkit::spawn(
            crm_testkit::deps::<crm_commerciaux::Migrator>(&keys, &commerciaux_db)
                .await
                .expect("commerciaux deps"),
            crm_commerciaux::build,
        )
        .await
        .expect("commerciaux");
        let products = crm_testkit::spawn(
            crm_testkit::deps::<crm_products::Migrator>(&keys, &products_db)
                .await
                .expect("products deps"),
            crm_products::build,
        )
        .await
        .expect("products");
        let mut deps = crm_testkit::deps::<crm_commission::Migrator>(&keys, &db)
            .await
            .expect("commission deps");
        deps.config
            .services
            .insert("commerciaux".into(), commerciaux.url.clone());
        deps.config
            .services
            .insert("products".into(), products.url.clone());
        let bus = deps.bus.clone();
        let commission = crm_testkit::spawn(deps, crm_commission::build)
            .await
            .expect("commission");
        let relay = crm_events::Relay::new(outbox.db.clone(), bus.publisher("contrats"));
        out.push(Env {
            keys,
            backend,
            db,
            commission,
            commerciaux,
            products,
            outbox,
            relay,
            commerciaux_db,
            _products_db: products_db,
        });
    }
    out
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

    /// Another member of the same organisation with `role`.
    pub fn with_role(self, role: Role) -> Self {
        Self::new(self.org, role)
    }

    /// A member of the same organisation with `role` whose sales-agent record is
    /// `commercial`.
    pub fn as_commercial(self, role: Role, commercial: &str) -> Self {
        Self {
            commercial: Uuid::parse_str(commercial).ok(),
            ..Self::new(self.org, role)
        }
    }
}

/// A seller with a manager and a director above them, and a product.
#[derive(Clone, Debug)]
pub struct Team {
    pub director: String,
    pub manager: String,
    pub agent: String,
    pub product: String,
}

impl Env {
    pub fn api(&self) -> CommissionServiceClient<Channel> {
        CommissionServiceClient::new(self.commission.channel.clone())
    }

    /// Returns a ledger consumer of its own reading commerciaux at `commerciaux`, to
    /// apply events by hand.
    pub fn ledger(&self, commerciaux: &str) -> crm_commission::Ledger {
        let mut config = crm_kit::config::KitConfig::default();
        config
            .services
            .insert("commerciaux".into(), commerciaux.to_owned());
        config
            .services
            .insert("products".into(), self.products.url.clone());
        let remote =
            crm_commission::Remote::new("commission", &config, &self.keys.mesh).expect("remote");
        crm_commission::Ledger::new(remote, std::sync::Arc::default())
    }

    pub fn req<T>(&self, who: Member, msg: T) -> tonic::Request<T> {
        let token = self
            .keys
            .token_with_commercial(who.org, who.user, who.role, who.commercial);
        authed(&token, msg)
    }

    /// Makes a director, a manager under them and an agent under the manager, with
    /// `plan` assigned to the agent when given, and a product of `category`.
    pub async fn team(&self, admin: Member, plan: Option<&str>, category: &str) -> Team {
        let director = self.new_commercial(admin, "", None).await;
        let manager = self.new_commercial(admin, &director, None).await;
        let agent = self.new_commercial(admin, &manager, plan).await;
        let product = self.new_product(admin, category).await;
        Team {
            director,
            manager,
            agent,
            product,
        }
    }

    /// Makes an active sales agent reporting to `manager` (none when empty).
    pub async fn new_commercial(&self, admin: Member, manager: &str, plan: Option<&str>) -> String {
        let code = format!("COM-{}", &Uuid::new_v4().simple().to_string()[..8]);
        let request = co::CreateCommercialRequest {
            commercial: Some(co::Commercial {
                code: code.clone(),
                first_name: "Paul".into(),
                last_name: format!("Agent {code}"),
                email: format!("{}@example.fr", code.to_lowercase()),
                manager_id: manager.into(),
                commission_plan_id: plan.unwrap_or_default().into(),
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

    /// Makes a monthly, VAT-exempt product of `category` priced 100.00 EUR.
    pub async fn new_product(&self, admin: Member, category: &str) -> String {
        let code = format!("P-{}", &Uuid::new_v4().simple().to_string()[..8]);
        let request = pr::CreateProductRequest {
            product: Some(pr::Product {
                code: code.clone(),
                name: format!("Assurance {code}"),
                category: category.into(),
                kind: pr::ProductKind::Subscription as i32,
                billing_frequency: pr::BillingFrequency::Monthly as i32,
                vat_category: pr::VatCategory::Exempt as i32,
                ..Default::default()
            }),
            initial_price: Some(eur(100_00)),
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

    pub async fn create_plan(
        &self,
        who: Member,
        plan: pb::Plan,
    ) -> Result<pb::Plan, tonic::Status> {
        let res = self
            .api()
            .create_plan(self.req(
                who,
                pb::CreatePlanRequest {
                    plan: Some(plan),
                    request_id: String::new(),
                },
            ))
            .await?;
        Ok(res.into_inner().plan.expect("plan"))
    }

    pub async fn entries(
        &self,
        who: Member,
        req: pb::ListEntriesRequest,
    ) -> Result<Vec<pb::Entry>, tonic::Status> {
        Ok(self
            .api()
            .list_entries(self.req(who, req))
            .await?
            .into_inner()
            .entries)
    }

    /// Returns every entry of a contract, oldest first, as an admin sees them.
    pub async fn contract_entries(&self, admin: Member, contract: &str) -> Vec<pb::Entry> {
        let mut all = self
            .entries(
                admin,
                pb::ListEntriesRequest {
                    contract_id: contract.into(),
                    page_size: 200,
                    ..Default::default()
                },
            )
            .await
            .expect("entries");
        all.reverse();
        all
    }

    pub async fn statement(
        &self,
        who: Member,
        commercial: &str,
        period: &str,
    ) -> Result<pb::GetStatementResponse, tonic::Status> {
        Ok(self
            .api()
            .get_statement(self.req(
                who,
                pb::GetStatementRequest {
                    commercial_id: commercial.into(),
                    period: period.into(),
                    ..Default::default()
                },
            ))
            .await?
            .into_inner())
    }

    pub async fn close(
        &self,
        who: Member,
        period: &str,
    ) -> Result<pb::ClosePeriodResponse, tonic::Status> {
        Ok(self
            .api()
            .close_period(self.req(
                who,
                pb::ClosePeriodRequest {
                    period: period.into(),
                },
            ))
            .await?
            .into_inner())
    }

    pub async fn recompute(
        &self,
        who: Member,
        period: &str,
    ) -> Result<pb::RecomputeResponse, tonic::Status> {
        Ok(self
            .api()
            .recompute(self.req(
                who,
                pb::RecomputeRequest {
                    period: period.into(),
                },
            ))
            .await?
            .into_inner())
    }

    /// Writes an event of `org` into the publishers' outbox and relays it to the bus,
    /// which applies it in the commission service before this returns. Returns the id
    /// of the event.
    pub async fn publish(
        &self,
        org: Uuid,
        event_type: &'static str,
        aggregate: &str,
        payload: Vec<u8>,
    ) -> Uuid {
        let id = crm_events::append(
            &self.outbox.db,
            crm_events::NewEvent {
                event_type,
                organisation_id: org,
                aggregate_id: aggregate.to_owned(),
                aggregate_version: 1,
                payload,
                traceparent: None,
            },
        )
        .await
        .expect("append");
        self.drain().await;
        id
    }

    /// Relays every unsent outbox row.
    pub async fn drain(&self) {
        for _ in 0..20 {
            if self.relay.publish_pending().await.expect("publish") == 0 {
                return;
            }
        }
        panic!("outbox not drained");
    }

    /// Marks every outbox row unsent, so the next drain delivers them all again.
    pub async fn unsend_all(&self) {
        use crm_db::Global as _;
        use sea_orm::sea_query::Expr;
        crm_events::entity::Entity::update_many_global()
            .col_expr(
                crm_events::entity::Column::SentAt,
                Expr::value(Option::<chrono::DateTime<Utc>>::None),
            )
            .exec(&self.outbox.db)
            .await
            .expect("unsend");
    }

    /// Returns the events the commission service wrote for `org`, in order.
    pub async fn published(&self, org: Uuid) -> Vec<crm_events::entity::outbox::Model> {
        use crm_db::Global as _;
        use crm_events::entity::outbox::{Column, Entity};
        Entity::find_global()
            .filter(Column::OrganisationId.eq(org))
            .order_by_asc(Column::Seq)
            .all(&self.db.db)
            .await
            .expect("outbox")
    }

    /// Returns the publishers' outbox row of event `id`, as delivered.
    pub async fn delivered(&self, id: Uuid) -> crm_events::consume::Delivered {
        use crm_db::Global as _;
        use crm_events::entity::{Column, Entity};
        let rows = Entity::find_global()
            .filter(Column::Id.eq(id))
            .all(&self.outbox.db)
            .await
            .expect("rows");
        crm_events::bus::delivered_from_row(&rows[0])
    }

    pub async fn signed(&self, org: Uuid, m: ev::ContractSigned) -> Uuid {
        let aggregate = m.contract_id.clone();
        self.publish(org, "contract.signed", &aggregate, m.encode_to_vec())
            .await
    }

    pub async fn received(&self, org: Uuid, m: ev::PaymentReceived) -> Uuid {
        let aggregate = m.payment_id.clone();
        self.publish(org, "payment.received", &aggregate, m.encode_to_vec())
            .await
    }

    pub async fn terminated(&self, org: Uuid, m: ev::ContractTerminated) -> Uuid {
        let aggregate = m.contract_id.clone();
        self.publish(org, "contract.terminated", &aggregate, m.encode_to_vec())
            .await
    }

    pub async fn refunded(&self, org: Uuid, m: ev::PaymentRefunded) -> Uuid {
        let aggregate = m.payment_id.clone();
        self.publish(org, "payment.refunded", &aggregate, m.encode_to_vec())
            .await
    }
}

/// A plan rule for a product: 50 % upfront, 10 % recurring, overrides 10 % (level 1)
/// and 5 % (level 2), window 12 months, `mode`.
pub fn product_rule(product: &str, mode: pb::ClawbackMode) -> pb::PlanRule {
    pb::PlanRule {
        product_id: product.into(),
        upfront_rate_basis_points: 5000,
        recurring_rate_basis_points: 1000,
        overrides: vec![
            pb::OverrideRate {
                level: 1,
                rate_basis_points: 1000,
            },
            pb::OverrideRate {
                level: 2,
                rate_basis_points: 500,
            },
        ],
        clawback_months: 12,
        clawback_mode: mode as i32,
        ..Default::default()
    }
}

/// A plan named uniquely with `rules`.
pub fn plan(is_default: bool, rules: Vec<pb::PlanRule>) -> pb::Plan {
    pb::Plan {
        name: format!("Plan {}", &Uuid::new_v4().simple().to_string()[..8]),
        description: "Précompte santé".into(),
        is_default,
        rules,
        ..Default::default()
    }
}

/// contract.signed for one line of `product` at 100.00 a month, signed and starting on
/// `start`, sold by `commercial`.
pub fn contract_signed(
    contract: &str,
    commercial: &str,
    product: &str,
    start: NaiveDate,
) -> ev::ContractSigned {
    ev::ContractSigned {
        contract_id: contract.into(),
        number: "C-2026-000001".into(),
        client_id: Uuid::now_v7().to_string(),
        commercial_id: commercial.into(),
        lines: vec![ev::ContractLine {
            product_id: product.into(),
            product_code: "P".into(),
            quantity: 1,
            unit_price: Some(eur(100_00)),
            billing_frequency: ev::BillingFrequency::Monthly as i32,
            vat_category: "exempt".into(),
        }],
        signature_date: Some(date(start)),
        start_date: Some(date(start)),
        term_months: 12,
        tacit_renewal: true,
        billing_day: 5,
        ..Default::default()
    }
}

/// payment.received of `amount` settled on `on`.
pub fn payment_received(
    contract: &str,
    payment: &str,
    amount: i64,
    on: NaiveDate,
) -> ev::PaymentReceived {
    ev::PaymentReceived {
        payment_id: payment.into(),
        contract_id: contract.into(),
        amount: Some(eur(amount)),
        settlement_date: Some(date(on)),
        ..Default::default()
    }
}

/// contract.terminated for `cause` on `on`.
pub fn contract_terminated(
    contract: &str,
    cause: ev::TerminationCause,
    on: NaiveDate,
) -> ev::ContractTerminated {
    ev::ContractTerminated {
        contract_id: contract.into(),
        termination_date: Some(date(on)),
        cause: cause as i32,
        ..Default::default()
    }
}

pub fn new_id() -> String {
    Uuid::now_v7().to_string()
}

pub fn eur(amount_minor: i64) -> common::Money {
    common::Money {
        currency_code: "EUR".into(),
        amount_minor,
    }
}

pub fn date(d: NaiveDate) -> common::Date {
    common::Date {
        year: d.year(),
        month: d.month() as i32,
        day: d.day() as i32,
    }
}

/// Returns day `day` of the month `n` months before the current one.
pub fn months_ago(n: u32, day: u32) -> NaiveDate {
    let first = Utc::now().date_naive().with_day(1).expect("first day");
    let month = first
        .checked_sub_months(chrono::Months::new(n))
        .expect("month");
    month.with_day(day).expect("day")
}

/// Returns "YYYY-MM" of `d`.
pub fn period(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

pub fn amount(m: &Option<common::Money>) -> i64 {
    m.as_ref().map_or(i64::MIN, |m| m.amount_minor)
}

pub fn kind(e: &pb::Entry) -> ev::CommissionKind {
    ev::CommissionKind::try_from(e.kind).unwrap_or(ev::CommissionKind::Unspecified)
}

/// Returns the field names of a status's BadRequest detail.
pub fn violation_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt as _;
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|f| f.field).collect())
        .unwrap_or_default()
}
