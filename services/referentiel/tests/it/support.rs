//! Shared set-up: a running referentiel service per backend and request helpers.

use crm_kit::Role;
use crm_proto::common::v1 as common;
use crm_proto::referentiel::v1 as pb;
use crm_proto::referentiel::v1::referentiel_service_client::ReferentielServiceClient;
use crm_testkit::{Keys, Running, TestDatabase, authed};
use tonic::transport::Channel;
use uuid::Uuid;

/// A referentiel service, the keys to call it and the bus it consumes from.
pub struct Env {
    pub keys: Keys,
    pub running: Running,
    pub bus: crm_events::Bus,
    pub backend: crm_db::Backend,
    pub db: TestDatabase,
}

/// Starts one referentiel service per backend.
pub async fn envs() -> Vec<Env> {
    let mut out = Vec::new();
    for db in crm_testkit::each_backend().await.expect("databases") {
        let keys = Keys::new().expect("keys");
        let deps = crm_testkit::deps::<crm_referentiel::Migrator>(&keys, &db)
            .await
            .expect("deps");
        let bus = deps.bus.clone();
        let running = crm_testkit::spawn(deps, crm_referentiel::build)
            .await
            .expect("spawn");
        out.push(Env {
            keys,
            running,
            bus,
            backend: db.backend,
            db,
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
    pub fn client(&self) -> ReferentielServiceClient<Channel> {
        ReferentielServiceClient::new(self.running.channel.clone())
    }

    pub fn req<T>(&self, who: Member, msg: T) -> tonic::Request<T> {
        authed(&self.keys.token(who.org, who.user, who.role), msg)
    }

    /// Upserts `value` into `list` with `mask` (none when empty).
    pub async fn upsert(
        &self,
        who: Member,
        list: &str,
        value: pb::Value,
        mask: &[&str],
    ) -> Result<pb::UpsertValueResponse, tonic::Status> {
        let update_mask = (!mask.is_empty()).then(|| prost_types::FieldMask {
            paths: mask.iter().map(|p| (*p).to_owned()).collect(),
        });
        let res = self
            .client()
            .upsert_value(self.req(
                who,
                pb::UpsertValueRequest {
                    list_key: list.into(),
                    value: Some(value),
                    update_mask,
                },
            ))
            .await?;
        Ok(res.into_inner())
    }

    /// Lists every value of `list` in one page.
    pub async fn values(
        &self,
        who: Member,
        list: &str,
    ) -> Result<pb::ListValuesResponse, tonic::Status> {
        let res = self
            .client()
            .list_values(self.req(
                who,
                pb::ListValuesRequest {
                    list_key: list.into(),
                    ..Default::default()
                },
            ))
            .await?;
        Ok(res.into_inner())
    }

    pub async fn delete(
        &self,
        who: Member,
        list: &str,
        code: &str,
    ) -> Result<pb::DeleteValueResponse, tonic::Status> {
        let res = self
            .client()
            .delete_value(self.req(
                who,
                pb::DeleteValueRequest {
                    list_key: list.into(),
                    code: code.into(),
                },
            ))
            .await?;
        Ok(res.into_inner())
    }

    pub async fn vat(
        &self,
        country: &str,
        category: pb::VatCategory,
        day: common::Date,
    ) -> Result<pb::GetVatRateResponse, tonic::Status> {
        let res = self
            .client()
            .get_vat_rate(self.req(
                Member::admin(),
                pb::GetVatRateRequest {
                    country_code: country.into(),
                    category: category as i32,
                    date: Some(day),
                },
            ))
            .await?;
        Ok(res.into_inner())
    }
}

/// A value with a code and a label, the rest default.
pub fn value(code: &str, label: &str) -> pb::Value {
    pb::Value {
        code: code.into(),
        label: label.into(),
        ..Default::default()
    }
}

/// Returns a protobuf date.
pub fn date(year: i32, month: i32, day: i32) -> common::Date {
    common::Date { year, month, day }
}

/// Returns the field names of a status's BadRequest detail.
pub fn violation_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt as _;
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|f| f.field).collect())
        .unwrap_or_default()
}
