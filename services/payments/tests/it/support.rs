//! Shared set-up: per backend, a payments service and the calendar service it asks,
//! each with its own database, in-process on ephemeral ports with the same keys;
//! helpers to make fixtures, deliver events and read the outbox.

use chrono::{Datelike as _, Days, Months, NaiveDate, Utc};
use crm_kit::Role;
use crm_proto::common::v1 as common;
use crm_proto::events::v1 as ev;
use crm_proto::payments::v1 as pb;
use crm_proto::payments::v1::payment_service_client::PaymentServiceClient;
use crm_testkit::{Keys, Running, TestDatabase, authed};
use sea_orm::{
    ColumnTrait as _, ConnectionTrait as _, QueryFilter as _, QueryOrder as _, Statement,
};
use tonic::transport::Channel;
use uuid::Uuid;

/// The IBAN key of every test service.
pub const KEY: [u8; 32] = [0x5a; 32];

/// A payments service, the calendar it asks, and the payments database.
pub struct Env {
    pub keys: Keys,
    pub backend: crm_db::Backend,
    pub db: TestDatabase,
    pub payments: Running,
    pub calendar: Running,
    /// The in-process bus the payments service consumes from.
    pub bus: crm_events::Bus,
    // The calendar's database lives as long as the calendar.
    _calendar_db: TestDatabase,
}

/// Starts one stack per backend.
pub async fn envs() -> Vec<Env> {
    let mut out = Vec::new();
    for db in crm_testkit::each_backend().await.expect("databases") {
        out.push(env_on(db).await);
    }
    out
}

async fn env_on(db: TestDatabase) -> Env {
    let keys = Keys::new().expect("keys");
    let backend = db.backend;
    let calendar_db = crm_testkit::fresh(backend)
        .await
        .expect("calendar database");
    let calendar = crm_testkit::spawn(
        crm_testkit::deps::<crm_calendar::Migrator>(&keys, &calendar_db)
            .await
            .expect("calendar deps"),
        crm_calendar::build,
    )
    .await
    .expect("calendar");
    let mut deps = crm_testkit::deps::<crm_payments::Migrator>(&keys, &db)
        .await
        .expect("payments deps");
    deps.config
        .services
        .insert("calendar".into(), calendar.url.clone());
    let bus = deps.bus.clone();
    let payments = crm_testkit::spawn(deps, |deps| {
        crm_payments::build_with(deps, crm_payments::IbanKey::from_bytes(KEY))
    })
    .await
    .expect("payments");
    Env {
        keys,
        backend,
        db,
        payments,
        calendar,
        bus,
        _calendar_db: calendar_db,
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

/// Returns today (UTC), the service's "today".
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Returns the first TARGET day on or after `d`.
pub fn target_on_or_after(d: NaiveDate) -> NaiveDate {
    crm_shared::calendar::add_target_days(d, 0).expect("target day")
}

/// Returns the first TARGET day after `d`.
pub fn next_target(d: NaiveDate) -> NaiveDate {
    crm_shared::calendar::add_target_days(d, 1).expect("target day")
}

/// Returns a collection date that every default rule accepts for a schedule made
/// today: a TARGET day at least 15 calendar days ahead.
pub fn collection_date() -> NaiveDate {
    target_on_or_after(today() + Days::new(15))
}

/// Returns the first non-TARGET day (a Saturday) after `d`.
pub fn saturday_after(d: NaiveDate) -> NaiveDate {
    let mut day = d;
    while day.weekday() != chrono::Weekday::Sat {
        day = day + Days::new(1);
    }
    day
}

pub fn date(d: NaiveDate) -> Option<common::Date> {
    Some(crm_kit::convert::date_to_proto(d))
}

pub fn eur(amount_minor: i64) -> Option<common::Money> {
    Some(common::Money {
        currency_code: "EUR".into(),
        amount_minor,
    })
}

/// Returns a valid French IBAN, a different one for each call.
pub fn iban() -> String {
    crm_sepa::testing::fr_iban(u64::from(Uuid::new_v4().as_u128() as u32))
}

/// Returns a fresh mandate reference.
pub fn umr() -> String {
    format!(
        "UMR-{}",
        &Uuid::new_v4().simple().to_string()[..12].to_uppercase()
    )
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

impl Env {
    pub fn client(&self) -> PaymentServiceClient<Channel> {
        PaymentServiceClient::new(self.payments.channel.clone())
            .max_decoding_message_size(256 * 1024 * 1024)
            .max_encoding_message_size(256 * 1024 * 1024)
    }

    pub fn req<T>(&self, who: Member, msg: T) -> tonic::Request<T> {
        authed(&self.keys.token(who.org, who.user, who.role), msg)
    }

    /// Returns an internal request from `service` acting in `org` (no user, no role).
    pub fn internal<T>(&self, service: &str, org: Uuid, msg: T) -> tonic::Request<T> {
        let now = Utc::now().timestamp();
        let token = self
            .keys
            .mesh
            .mint(service, "payments", Some(org), None, None, now)
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

    /// Creates a creditor account of `who`'s organisation.
    pub async fn account(&self, who: Member) -> pb::CreditorAccount {
        self.client()
            .create_creditor_account(self.req(
                who,
                pb::CreateCreditorAccountRequest {
                    creditor_account: Some(pb::CreditorAccount {
                        name: "Assurances Dupont & Fils".into(),
                        creditor_identifier: "FR72ZZZ123456".into(),
                        iban: crm_sepa::testing::fr_iban(1),
                        bic: "BNPAFRPP".into(),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                },
            ))
            .await
            .expect("create account")
            .into_inner()
            .creditor_account
            .expect("account")
    }

    /// Returns a CreateMandate request for `account`, signed 30 days ago.
    pub fn mandate_request(
        &self,
        account: &str,
        reference: &str,
        iban: &str,
    ) -> pb::CreateMandateRequest {
        pb::CreateMandateRequest {
            creditor_account_id: account.into(),
            reference: reference.into(),
            client_id: Uuid::now_v7().to_string(),
            debtor_name: "Émilie Durand-Lefèvre".into(),
            iban: iban.into(),
            bic: String::new(),
            signature_date: date(today() - Days::new(30)),
            r#type: ev::MandateType::Recurrent as i32,
            scheme: ev::MandateScheme::Core as i32,
            request_id: String::new(),
        }
    }

    pub async fn create_mandate(
        &self,
        who: Member,
        request: pb::CreateMandateRequest,
    ) -> Result<pb::Mandate, tonic::Status> {
        Ok(self
            .client()
            .create_mandate(self.req(who, request))
            .await?
            .into_inner()
            .mandate
            .expect("mandate"))
    }

    /// Creates an active recurrent CORE mandate under `account`.
    pub async fn mandate(&self, who: Member, account: &str) -> pb::Mandate {
        self.create_mandate(who, self.mandate_request(account, &umr(), &iban()))
            .await
            .expect("create mandate")
    }

    /// Creates a schedule of a new contract under `mandate`, with `dues` (date, amount).
    pub async fn schedule(
        &self,
        who: Member,
        mandate: &pb::Mandate,
        dues: &[(NaiveDate, i64)],
    ) -> pb::Schedule {
        self.client()
            .create_schedule(
                self.req(
                    who,
                    pb::CreateScheduleRequest {
                        contract_id: Uuid::now_v7().to_string(),
                        contract_number: "C-2026-000042".into(),
                        client_id: mandate.client_id.clone(),
                        mandate_id: mandate.id.clone(),
                        instalments: dues
                            .iter()
                            .map(|(d, a)| pb::InstalmentInput {
                                due_date: date(*d),
                                amount: eur(*a),
                            })
                            .collect(),
                        request_id: String::new(),
                    },
                ),
            )
            .await
            .expect("create schedule")
            .into_inner()
            .schedule
            .expect("schedule")
    }

    pub async fn prepare(
        &self,
        who: Member,
        account: &str,
        on: NaiveDate,
    ) -> Result<pb::PrepareBatchResponse, tonic::Status> {
        Ok(self
            .client()
            .prepare_batch(self.req(
                who,
                pb::PrepareBatchRequest {
                    creditor_account_id: account.into(),
                    collection_date: date(on),
                },
            ))
            .await?
            .into_inner())
    }

    /// Exports a batch in `version` and checks the file against the XSD.
    pub async fn export(
        &self,
        who: Member,
        batch: &str,
        version: pb::PainVersion,
    ) -> pb::ExportBatchResponse {
        let answer = self
            .client()
            .export_batch(self.req(
                who,
                pb::ExportBatchRequest {
                    batch_id: batch.into(),
                    version: version as i32,
                },
            ))
            .await
            .expect("export")
            .into_inner();
        let xml = String::from_utf8(answer.xml.clone()).expect("utf-8");
        let v = if version == pb::PainVersion::V08 {
            crm_sepa::Version::V08
        } else {
            crm_sepa::Version::V02
        };
        crm_sepa::testing::assert_valid(&xml, v);
        answer
    }

    pub async fn settle(&self, who: Member, ids: &[String], on: NaiveDate) -> Vec<pb::Payment> {
        self.client()
            .mark_settled(self.req(
                who,
                pb::MarkSettledRequest {
                    payment_ids: ids.to_vec(),
                    batch_id: String::new(),
                    settlement_date: date(on),
                },
            ))
            .await
            .expect("settle")
            .into_inner()
            .payments
    }

    pub async fn payment(&self, who: Member, id: &str) -> Result<pb::Payment, tonic::Status> {
        Ok(self
            .client()
            .get_payment(self.req(
                who,
                pb::GetPaymentRequest {
                    payment_id: id.into(),
                },
            ))
            .await?
            .into_inner()
            .payment
            .expect("payment"))
    }

    pub async fn get_mandate(&self, who: Member, id: &str) -> Result<pb::Mandate, tonic::Status> {
        Ok(self
            .client()
            .get_mandate(self.req(
                who,
                pb::GetMandateRequest {
                    mandate_id: id.into(),
                },
            ))
            .await?
            .into_inner()
            .mandate
            .expect("mandate"))
    }

    /// Returns the events of `event_type` for `org` in the outbox, in order, each as a
    /// row of its own (packed rows expanded, as the relay does).
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
            .into_iter()
            .flat_map(|row| crm_events::outbox::expand(row).expect("a readable row"))
            .collect()
    }

    /// Returns every text value of every row of `table`, for looking for clear data.
    pub async fn table_text(&self, table: &str) -> String {
        let rows = self
            .db
            .db
            .query_all_raw(Statement::from_string(
                self.db.db.get_database_backend(),
                format!("SELECT * FROM {table}"),
            ))
            .await
            .expect("rows");
        let mut out = String::new();
        for row in rows {
            for column in row.column_names() {
                if let Ok(Some(text)) = row.try_get::<Option<String>>("", &column) {
                    out.push_str(&text);
                    out.push('\n');
                } else if let Ok(Some(bytes)) = row.try_get::<Option<Vec<u8>>>("", &column) {
                    out.push_str(&String::from_utf8_lossy(&bytes));
                    out.push('\n');
                }
            }
        }
        out
    }

    /// Applies an event with the payments consumer, as the bus delivers it.
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
            &crm_payments::subscription().durable(),
            &crm_payments::Schedules,
            &delivered,
        )
        .await
        .expect("apply")
    }
}

/// Returns a decoded event payload.
pub fn decode<T: prost::Message + Default>(row: &crm_events::entity::Model) -> T {
    T::decode(row.payload.as_slice()).expect("payload")
}

/// Returns `d` plus `months`.
pub fn plus_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_add_months(Months::new(months)).expect("date")
}

/// Counts the occurrences of `needle` in `xml`.
pub fn count(xml: &str, needle: &str) -> usize {
    xml.matches(needle).count()
}
