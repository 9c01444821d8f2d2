//! Shared set-up: a running products service per backend and request helpers.

use crm_kit::Role;
use crm_proto::common::v1 as common;
use crm_proto::products::v1 as pb;
use crm_proto::products::v1::product_service_client::ProductServiceClient;
use crm_testkit::{Keys, Running, authed};
use tonic::transport::Channel;
use uuid::Uuid;

/// A products service and the keys to call it.
pub struct Env {
    pub keys: Keys,
    pub running: Running,
    pub backend: crm_db::Backend,
}

/// Starts one products service per backend.
pub async fn envs() -> Vec<Env> {
    let mut out = Vec::new();
    for db in crm_testkit::each_backend().await.expect("databases") {
        let keys = Keys::new().expect("keys");
        let deps = crm_testkit::deps::<crm_products::Migrator>(&keys, &db)
            .await
            .expect("deps");
        let running = crm_testkit::spawn(deps, crm_products::build)
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
}

impl Member {
    pub fn new(org: Uuid, role: Role) -> Self {
        Self {
            org,
            user: Uuid::now_v7(),
            role,
        }
    }

    /// An admin of a new organisation.
    pub fn admin() -> Self {
        Self::new(Uuid::now_v7(), Role::Admin)
    }
}

impl Env {
    pub fn client(&self) -> ProductServiceClient<Channel> {
        ProductServiceClient::new(self.running.channel.clone())
    }

    pub fn req<T>(&self, who: Member, msg: T) -> tonic::Request<T> {
        authed(&self.keys.token(who.org, who.user, who.role), msg)
    }

    pub async fn create_with(
        &self,
        who: Member,
        req: pb::CreateProductRequest,
    ) -> Result<pb::Product, tonic::Status> {
        let res = self.client().create_product(self.req(who, req)).await?;
        Ok(res.into_inner().product.expect("product"))
    }

    pub async fn create(
        &self,
        who: Member,
        product: pb::Product,
    ) -> Result<pb::Product, tonic::Status> {
        self.create_with(
            who,
            pb::CreateProductRequest {
                product: Some(product),
                ..Default::default()
            },
        )
        .await
    }

    pub async fn get(&self, who: Member, id: &str) -> Result<pb::Product, tonic::Status> {
        let res = self
            .client()
            .get_product(self.req(
                who,
                pb::GetProductRequest {
                    product_id: id.into(),
                },
            ))
            .await?;
        Ok(res.into_inner().product.expect("product"))
    }

    pub async fn set_price(
        &self,
        who: Member,
        id: &str,
        amount: i64,
        from: common::Date,
    ) -> Result<pb::SetPriceResponse, tonic::Status> {
        let res = self
            .client()
            .set_price(self.req(
                who,
                pb::SetPriceRequest {
                    product_id: id.into(),
                    price: Some(eur(amount)),
                    valid_from: Some(from),
                    version: 0,
                },
            ))
            .await?;
        Ok(res.into_inner())
    }

    /// Returns the amount in force on `on`, or the status refusing it.
    pub async fn price_at(
        &self,
        who: Member,
        id: &str,
        on: common::Date,
    ) -> Result<pb::PricePeriod, tonic::Status> {
        let res = self
            .client()
            .get_price_at(self.req(
                who,
                pb::GetPriceAtRequest {
                    product_id: id.into(),
                    date: Some(on),
                },
            ))
            .await?;
        Ok(res.into_inner().price.expect("price"))
    }

    pub async fn archive(&self, who: Member, id: &str) -> Result<pb::Product, tonic::Status> {
        let res = self
            .client()
            .archive_product(self.req(
                who,
                pb::ArchiveProductRequest {
                    product_id: id.into(),
                },
            ))
            .await?;
        Ok(res.into_inner().product.expect("product"))
    }
}

/// A valid monthly subscription, VAT-exempt (insurance).
pub fn subscription(code: &str) -> pb::Product {
    pb::Product {
        code: code.into(),
        name: format!("Assurance {code}"),
        description: "Garantie prévoyance".into(),
        category: "Prevoyance".into(),
        kind: pb::ProductKind::Subscription as i32,
        billing_frequency: pb::BillingFrequency::Monthly as i32,
        vat_category: pb::VatCategory::Exempt as i32,
        ..Default::default()
    }
}

/// A valid one-off product at the standard rate.
pub fn one_off(code: &str) -> pb::Product {
    pb::Product {
        code: code.into(),
        name: format!("Frais {code}"),
        category: "Frais".into(),
        kind: pb::ProductKind::OneOff as i32,
        vat_category: pb::VatCategory::Standard as i32,
        ..Default::default()
    }
}

pub fn date(year: i32, month: i32, day: i32) -> common::Date {
    common::Date { year, month, day }
}

pub fn eur(amount_minor: i64) -> common::Money {
    common::Money {
        currency_code: "EUR".into(),
        amount_minor,
    }
}

/// Returns today's date (UTC), the day the service calls "current".
pub fn today() -> common::Date {
    use chrono::Datelike as _;
    let t = chrono::Utc::now().date_naive();
    date(t.year(), t.month() as i32, t.day() as i32)
}

/// Returns the amount of a period.
pub fn amount(p: &pb::PricePeriod) -> i64 {
    p.price.as_ref().map(|m| m.amount_minor).unwrap_or(-1)
}

/// Returns the field names of a status's BadRequest detail.
pub fn violation_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt as _;
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|f| f.field).collect())
        .unwrap_or_default()
}
