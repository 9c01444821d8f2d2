//! Shared set-up: a running calendar service per backend and request helpers.

use chrono::{DateTime, TimeZone as _, Utc};
use crm_kit::Role;
use crm_proto::calendar::v1 as pb;
use crm_proto::calendar::v1::calendar_service_client::CalendarServiceClient;
use crm_proto::common::v1 as common;
use crm_testkit::{Keys, Running, authed};
use tonic::transport::Channel;
use uuid::Uuid;

/// A calendar service and the keys to call it.
pub struct Env {
    pub keys: Keys,
    pub running: Running,
}

/// Starts one calendar service per backend.
pub async fn envs() -> Vec<Env> {
    let mut out = Vec::new();
    for db in crm_testkit::each_backend().await.expect("databases") {
        let keys = Keys::new().expect("keys");
        let deps = crm_testkit::deps::<crm_calendar::Migrator>(&keys, &db)
            .await
            .expect("deps");
        let running = crm_testkit::spawn(deps, crm_calendar::build)
            .await
            .expect("spawn");
        // The database must outlive the service; tests are short, so leak the handle.
        std::mem::forget(db);
        out.push(Env { keys, running });
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

    /// Another member of the same organisation.
    pub fn colleague(&self, role: Role) -> Self {
        Self::new(self.org, role)
    }
}

impl Env {
    pub fn client(&self) -> CalendarServiceClient<Channel> {
        CalendarServiceClient::new(self.running.channel.clone())
    }

    pub fn req<T>(&self, who: Member, msg: T) -> tonic::Request<T> {
        authed(&self.keys.token(who.org, who.user, who.role), msg)
    }

    pub async fn create_event(
        &self,
        who: Member,
        event: pb::Event,
    ) -> Result<pb::Event, tonic::Status> {
        let req = pb::CreateEventRequest {
            event: Some(event),
            request_id: String::new(),
        };
        let res = self.client().create_event(self.req(who, req)).await?;
        Ok(res.into_inner().event.expect("event"))
    }

    pub async fn get_event(&self, who: Member, id: &str) -> Result<pb::Event, tonic::Status> {
        let req = pb::GetEventRequest {
            event_id: id.into(),
        };
        let res = self.client().get_event(self.req(who, req)).await?;
        Ok(res.into_inner().event.expect("event"))
    }

    pub async fn cancel_event(&self, who: Member, id: &str) -> Result<pb::Event, tonic::Status> {
        let req = pb::CancelEventRequest {
            event_id: id.into(),
            reason: "client unavailable".into(),
            version: 0,
        };
        let res = self.client().cancel_event(self.req(who, req)).await?;
        Ok(res.into_inner().event.expect("event"))
    }

    pub async fn add_closed_day(
        &self,
        who: Member,
        day: common::Date,
        name: &str,
    ) -> Result<pb::ClosedDay, tonic::Status> {
        let req = pb::AddClosedDayRequest {
            closed_day: Some(pb::ClosedDay {
                date: Some(day),
                name: name.into(),
                ..Default::default()
            }),
            request_id: String::new(),
        };
        let res = self.client().add_closed_day(self.req(who, req)).await?;
        Ok(res.into_inner().closed_day.expect("closed day"))
    }

    pub async fn is_business_day(
        &self,
        who: Member,
        day: common::Date,
        calendar: pb::HolidayCalendar,
    ) -> pb::IsBusinessDayResponse {
        let req = pb::IsBusinessDayRequest {
            date: Some(day),
            calendar: calendar as i32,
            ignore_organisation_closed_days: false,
        };
        self.client()
            .is_business_day(self.req(who, req))
            .await
            .expect("is business day")
            .into_inner()
    }
}

/// A date message.
pub fn date(year: i32, month: i32, day: i32) -> common::Date {
    common::Date { year, month, day }
}

/// An instant in UTC.
pub fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("instant")
}

/// The protobuf timestamp of an instant.
pub fn ts(t: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    }
}

/// The instant of a protobuf timestamp.
pub fn instant(t: &Option<prost_types::Timestamp>) -> DateTime<Utc> {
    let t = t.as_ref().expect("timestamp");
    DateTime::from_timestamp(t.seconds, t.nanos as u32).expect("instant")
}

/// A valid event from `start` to `end`, in Europe/Paris.
pub fn event(title: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> pb::Event {
    pb::Event {
        title: title.into(),
        start_time: Some(ts(start)),
        end_time: Some(ts(end)),
        time_zone: "Europe/Paris".into(),
        location: "12 rue de la Paix, Paris".into(),
        reminder_minutes: vec![15],
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

/// Returns (start, end) of proto intervals.
pub fn spans(intervals: &[pb::Interval]) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    intervals
        .iter()
        .map(|i| (instant(&i.start_time), instant(&i.end_time)))
        .collect()
}
