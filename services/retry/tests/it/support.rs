//! Shared set-up: per backend, a retry service on a clock the test moves, in-process on
//! an ephemeral port; for RunDue, the payments service and the calendar it asks, sharing
//! the retry service's bus; helpers to deliver events, read the outbox and call the API.

use chrono::NaiveDate;
use crm_kit::Role;
use crm_proto::common::v1 as common;
use crm_proto::events::v1 as ev;
use crm_proto::retry::v1 as pb;
use crm_proto::retry::v1::retry_service_client::RetryServiceClient;
use crm_retry::Clock;
use crm_testkit::{Keys, Running, TestDatabase, authed};
use sea_orm::{ColumnTrait as _, QueryFilter as _, QueryOrder as _};
use tonic::transport::Channel;
use uuid::Uuid;

/// A retry service, its database and the clock it decides by.
pub struct Env {
    pub keys: Keys,
    pub db: TestDatabase,
    pub retry: Running,
    pub clock: Clock,
}

/// Returns `y-m-d`.
pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

/// The day most scenarios happen on: Monday 2 March 2026. A first AM04 rejection that
/// day is retried on Wednesday 25 March (the next pay-day anchor after 10 March), handed
/// to payments on Monday 23 March; the window ends on 1 April.
pub fn monday() -> NaiveDate {
    d(2026, 3, 2)
}

/// Starts one retry service per backend, its clock on `today`, calling payments at the
/// default address (nothing listens there in these tests).
pub async fn envs(today: NaiveDate) -> Vec<Env> {
    let mut out = Vec::new();
    for db in crm_testkit::each_backend().await.expect("databases") {
        let keys = Keys::new().expect("keys");
        let deps = crm_testkit::deps::<crm_retry::Migrator>(&keys, &db)
            .await
            .expect("deps");
        out.push(spawn(keys, db, deps, today).await);
    }
    out
}

/// Starts a retry service over `db` with `deps`.
pub async fn spawn(
    keys: Keys,
    db: TestDatabase,
    deps: crm_kit::bootstrap::Deps,
    today: NaiveDate,
) -> Env {
    let clock = Clock::manual(today);
    let running = {
        let clock = clock.clone();
        crm_testkit::spawn(deps, move |deps| crm_retry::testing::build_on(deps, clock))
            .await
            .expect("retry")
    };
    Env {
        keys,
        db,
        retry: running,
        clock,
    }
}

/// A member of an organisation.
#[derive(Clone, Copy, Debug)]
pub struct Member {
    pub org: Uuid,
    pub user: Uuid,
    pub role: Role,
}

impl Member {
    /// An admin of a new organisation.
    pub fn admin() -> Self {
        Self::new(Uuid::now_v7(), Role::Admin)
    }

    pub fn new(org: Uuid, role: Role) -> Self {
        Self {
            org,
            user: Uuid::now_v7(),
            role,
        }
    }

    /// Another member of the same organisation.
    pub fn with(self, role: Role) -> Self {
        Self::new(self.org, role)
    }
}

/// Returns the `crm.common.v1.Date` of a day.
pub fn date(day: NaiveDate) -> Option<common::Date> {
    Some(crm_kit::convert::date_to_proto(day))
}

/// Returns the day of a `crm.common.v1.Date`.
pub fn day_of(d: &Option<common::Date>) -> NaiveDate {
    let d = d.as_ref().expect("date");
    NaiveDate::from_ymd_opt(d.year, d.month as u32, d.day as u32).expect("valid date")
}

/// Returns the field names of an INVALID_ARGUMENT's BadRequest.
pub fn violations(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt as _;
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|f| f.field).collect())
        .unwrap_or_default()
}

/// A payment.rejected of a first presentation, from a German account.
pub fn rejected(org: Uuid, payment: Uuid, code: &str, on: NaiveDate) -> ev::PaymentRejected {
    let class =
        crm_sepa::reason::lookup(code).map_or(ev::ReasonClass::Unspecified, |r| match r.class {
            crm_sepa::reason::ReasonClass::Soft => ev::ReasonClass::Soft,
            crm_sepa::reason::ReasonClass::Hard => ev::ReasonClass::Hard,
            crm_sepa::reason::ReasonClass::Technical => ev::ReasonClass::Technical,
            crm_sepa::reason::ReasonClass::Dispute => ev::ReasonClass::Dispute,
        });
    ev::PaymentRejected {
        meta: Some(meta(org, payment)),
        payment_id: payment.to_string(),
        instalment_id: Uuid::now_v7().to_string(),
        invoice_id: Uuid::now_v7().to_string(),
        mandate_id: Uuid::now_v7().to_string(),
        client_id: Uuid::now_v7().to_string(),
        contract_id: Uuid::now_v7().to_string(),
        amount: Some(common::Money {
            currency_code: "EUR".into(),
            amount_minor: 4_990,
        }),
        reason_code: code.into(),
        reason_class: class as i32,
        kind: ev::RejectionKind::Reject as i32,
        attempt_number: 1,
        collection_date: date(on),
        rejection_date: date(on),
        debtor_country: "DE".into(),
    }
}

/// An event header.
pub fn meta(org: Uuid, aggregate: Uuid) -> ev::EventMeta {
    ev::EventMeta {
        organisation_id: org.to_string(),
        aggregate_id: aggregate.to_string(),
        aggregate_version: 1,
        occur_time: None,
        actor_user_id: String::new(),
    }
}

impl Env {
    pub fn client(&self) -> RetryServiceClient<Channel> {
        RetryServiceClient::new(self.retry.channel.clone())
    }

    pub fn req<T>(&self, who: Member, msg: T) -> tonic::Request<T> {
        authed(&self.keys.token(who.org, who.user, who.role), msg)
    }

    /// Applies an event with the retry consumer, as the bus delivers it (the same
    /// consumer name, so a second delivery of the same id is a duplicate).
    pub async fn deliver(
        &self,
        id: Uuid,
        event_type: &str,
        org: Uuid,
        payload: &impl prost::Message,
    ) -> crm_events::consume::Outcome {
        let delivered = crm_events::consume::Delivered {
            id,
            event_type: event_type.into(),
            organisation_id: org,
            aggregate_id: Uuid::now_v7().to_string(),
            aggregate_version: 1,
            payload: payload.encode_to_vec().into(),
            traceparent: None,
        };
        crm_events::consume::apply(
            &self.db.db,
            &crm_retry::subscription().durable(),
            &crm_retry::Chains::new(self.clock.clone()),
            &delivered,
        )
        .await
        .expect("apply")
    }

    /// Delivers a payment.rejected under a new event id.
    pub async fn reject(&self, event: &ev::PaymentRejected) {
        let org =
            Uuid::parse_str(&event.meta.as_ref().expect("meta").organisation_id).expect("org");
        let outcome = self
            .deliver(Uuid::now_v7(), "payment.rejected", org, event)
            .await;
        assert_eq!(outcome, crm_events::consume::Outcome::Applied);
    }

    /// Returns the outbox rows of `event_type` for `org`, in order.
    pub async fn outbox(&self, org: Uuid, event_type: &str) -> Vec<crm_events::entity::Model> {
        use crm_db::Global as _;
        use crm_events::entity::{Column, Entity};
        Entity::find_global()
            .filter(Column::OrganisationId.eq(org))
            .filter(Column::EventType.eq(event_type))
            .order_by_asc(Column::Seq)
            .all(&self.db.db)
            .await
            .expect("outbox")
    }

    pub async fn chain(&self, who: Member, payment: Uuid) -> Result<pb::Chain, tonic::Status> {
        Ok(self
            .client()
            .get_chain(self.req(
                who,
                pb::GetChainRequest {
                    payment_id: payment.to_string(),
                },
            ))
            .await?
            .into_inner()
            .chain
            .expect("chain"))
    }

    pub async fn policy(&self, who: Member) -> Result<pb::Policy, tonic::Status> {
        Ok(self
            .client()
            .get_policy(self.req(who, pb::GetPolicyRequest {}))
            .await?
            .into_inner()
            .policy
            .expect("policy"))
    }

    pub async fn update_policy(
        &self,
        who: Member,
        policy: pb::Policy,
        paths: &[&str],
    ) -> Result<pb::Policy, tonic::Status> {
        let update_mask = (!paths.is_empty()).then(|| prost_types::FieldMask {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        });
        Ok(self
            .client()
            .update_policy(self.req(
                who,
                pb::UpdatePolicyRequest {
                    policy: Some(policy),
                    update_mask,
                },
            ))
            .await?
            .into_inner()
            .policy
            .expect("policy"))
    }

    pub async fn attempts(
        &self,
        who: Member,
        request: pb::ListAttemptsRequest,
    ) -> Result<pb::ListAttemptsResponse, tonic::Status> {
        Ok(self
            .client()
            .list_attempts(self.req(who, request))
            .await?
            .into_inner())
    }

    pub async fn cancel(&self, who: Member, payment: Uuid) -> Result<pb::Chain, tonic::Status> {
        Ok(self
            .client()
            .cancel_retries(self.req(
                who,
                pb::CancelRetriesRequest {
                    payment_id: payment.to_string(),
                },
            ))
            .await?
            .into_inner()
            .chain
            .expect("chain"))
    }

    pub async fn run_due(
        &self,
        who: Member,
        as_of: Option<NaiveDate>,
    ) -> Result<pb::RunDueResponse, tonic::Status> {
        Ok(self
            .client()
            .run_due(self.req(
                who,
                pb::RunDueRequest {
                    as_of: as_of.and_then(date),
                },
            ))
            .await?
            .into_inner())
    }
}

/// Returns a decoded event payload.
pub fn decode<T: prost::Message + Default>(row: &crm_events::entity::Model) -> T {
    T::decode(row.payload.as_slice()).expect("payload")
}

/// Returns the state of a chain.
pub fn state(c: &pb::Chain) -> pb::ChainState {
    pb::ChainState::try_from(c.state).expect("state")
}

/// Returns the stop reason of a chain.
pub fn stop_reason(c: &pb::Chain) -> pb::StopReason {
    pb::StopReason::try_from(c.stop_reason).expect("stop reason")
}

/// Returns the status of an attempt.
pub fn status(a: &pb::Attempt) -> pb::AttemptStatus {
    pb::AttemptStatus::try_from(a.status).expect("status")
}
