//! Reads from the calendar service: whether a collection date is a TARGET business day
//! and the earliest one the submission lead time allows. The calls act for the caller
//! (internal token, their organisation), carry what remains of the caller's deadline,
//! are retried once on UNAVAILABLE, and run before any transaction is opened; the
//! calendar down makes the request UNAVAILABLE with nothing written.

use chrono::NaiveDate;
use crm_kit::RequestContext;
use crm_kit::auth::MeshKey;
use crm_kit::client::{Downstream, ReadError, read};
use crm_kit::config::KitConfig;
use crm_proto::calendar::v1 as cal;
use crm_proto::calendar::v1::calendar_service_client::CalendarServiceClient;
use tonic::Status;

use crate::convert::{date_from_proto, date_to_proto};
use crate::error::Error;

/// The calendar service.
#[derive(Debug, Clone)]
pub struct Calendar {
    calendar: Downstream,
}

/// Pure TARGET days: SEPA inter-bank dates ignore the organisation's own closed days.
const TARGET: i32 = cal::HolidayCalendar::Target as i32;

fn missing(what: &str) -> Error {
    Error::Dependency(ReadError::Unavailable {
        service: "calendar",
        message: format!("no {what} in the answer"),
    })
}

fn date_of(d: Option<crm_proto::common::v1::Date>, what: &str) -> Result<NaiveDate, Error> {
    d.and_then(|d| date_from_proto(&d, what, &mut Vec::new()))
        .ok_or_else(|| missing(what))
}

impl Calendar {
    /// Returns the reader, with the calendar's address from `config`
    /// (`services.calendar`).
    pub fn new(caller: &'static str, config: &KitConfig, mesh: &MeshKey) -> Result<Self, Status> {
        Ok(Self {
            calendar: Downstream::lazy(
                caller,
                "calendar",
                &config.service_url("calendar"),
                mesh.clone(),
            )?,
        })
    }

    async fn is_business_day(&self, ctx: &RequestContext, date: NaiveDate) -> Result<bool, Error> {
        let d = &self.calendar;
        let message = cal::IsBusinessDayRequest {
            date: Some(date_to_proto(date)),
            calendar: TARGET,
            ignore_organisation_closed_days: true,
        };
        let answer = read(ctx, d.target(), || async {
            let request = d.request(ctx, message)?;
            CalendarServiceClient::new(d.channel())
                .is_business_day(request)
                .await
                .map(|r| r.into_inner().business_day)
        })
        .await?;
        answer.ok_or_else(|| missing("business day"))
    }

    async fn add_business_days(
        &self,
        ctx: &RequestContext,
        date: NaiveDate,
        days: i32,
    ) -> Result<NaiveDate, Error> {
        let d = &self.calendar;
        let message = cal::AddBusinessDaysRequest {
            date: Some(date_to_proto(date)),
            days,
            calendar: TARGET,
            ignore_organisation_closed_days: true,
        };
        let answer = read(ctx, d.target(), || async {
            let request = d.request(ctx, message)?;
            CalendarServiceClient::new(d.channel())
                .add_business_days(request)
                .await
                .map(|r| r.into_inner().date)
        })
        .await?;
        date_of(answer.flatten(), "date")
    }

    async fn next_business_day(
        &self,
        ctx: &RequestContext,
        date: NaiveDate,
    ) -> Result<NaiveDate, Error> {
        let d = &self.calendar;
        let message = cal::NextBusinessDayRequest {
            date: Some(date_to_proto(date)),
            inclusive: false,
            calendar: TARGET,
            ignore_organisation_closed_days: true,
        };
        let answer = read(ctx, d.target(), || async {
            let request = d.request(ctx, message)?;
            CalendarServiceClient::new(d.channel())
                .next_business_day(request)
                .await
                .map(|r| r.into_inner().date)
        })
        .await?;
        date_of(answer.flatten(), "date")
    }

    /// Checks that `date` is a TARGET business day at least `lead_days` TARGET days
    /// after `today`; FAILED_PRECONDITION naming the earliest valid date otherwise.
    pub async fn check_collection_date(
        &self,
        ctx: &RequestContext,
        today: NaiveDate,
        date: NaiveDate,
        lead_days: u32,
    ) -> Result<(), Error> {
        let lead = i32::try_from(lead_days).unwrap_or(i32::MAX);
        let (earliest, business) = futures::future::try_join(
            self.add_business_days(ctx, today, lead),
            self.is_business_day(ctx, date),
        )
        .await?;
        if date < earliest {
            return Err(Error::FailedPrecondition(format!(
                "the collection date {date} is less than {lead_days} TARGET business days ahead; \
                 the earliest valid date is {earliest}"
            )));
        }
        if !business {
            let next = self.next_business_day(ctx, date).await?.max(earliest);
            return Err(Error::FailedPrecondition(format!(
                "the collection date {date} is not a TARGET business day; the earliest valid \
                 date is {next}"
            )));
        }
        Ok(())
    }
}
