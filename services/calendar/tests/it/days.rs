//! Business-day maths through the API: the three public calendars, counting forward
//! and backward, holidays and calendar days, and bad requests.

use crm_kit::Role;
use crm_proto::calendar::v1 as pb;
use crm_proto::common::v1 as common;
use pb::HolidayCalendar::{Fr, FrTarget, Target};
use tonic::Code;

use crate::support::{Member, date, envs, violation_fields};

/// Easter Monday and 1 May close every calendar; 26 December and Good Friday only
/// TARGET; 8 May only France; a weekend every calendar. Any member may ask.
#[tokio::test]
async fn public_calendars_close_the_right_days() {
    for env in envs().await {
        let viewer = Member::new(uuid::Uuid::now_v7(), Role::Viewer);
        let cases = [
            (date(2026, 4, 6), [false, false, false]),
            (date(2026, 5, 1), [false, false, false]),
            (date(2025, 12, 26), [false, true, false]),
            (date(2026, 4, 3), [false, true, false]),
            (date(2026, 5, 8), [true, false, false]),
            (date(2026, 7, 14), [true, false, false]),
            (date(2026, 3, 28), [false, false, false]),
            (date(2026, 4, 7), [true, true, true]),
        ];
        for (day, expected) in cases {
            for (calendar, open) in [Target, Fr, FrTarget].into_iter().zip(expected) {
                let got = env.is_business_day(viewer, day, calendar).await;
                assert_eq!(got.business_day, open, "{day:?} {calendar:?}");
                let d = got.day.expect("day");
                assert_eq!(d.business_day, open);
                assert_eq!(d.closures.is_empty(), open, "{day:?} {calendar:?}");
            }
        }
        let monday = env
            .is_business_day(viewer, date(2026, 4, 6), FrTarget)
            .await;
        let day = monday.day.expect("day");
        assert_eq!(day.day_of_week, pb::DayOfWeek::Monday as i32);
        let closures: Vec<_> = day
            .closures
            .iter()
            .map(|c| (c.kind, c.name.as_str()))
            .collect();
        assert_eq!(
            closures,
            [
                (pb::ClosureKind::TargetHoliday as i32, "Easter Monday"),
                (pb::ClosureKind::FrPublicHoliday as i32, "Easter Monday"),
            ]
        );
        let saturday = env.is_business_day(viewer, date(2026, 3, 28), Target).await;
        let closure = &saturday.day.expect("day").closures[0];
        assert_eq!(
            (closure.kind, closure.name.as_str()),
            (pb::ClosureKind::Weekend as i32, "Weekend")
        );
    }
}

async fn add(
    env: &crate::support::Env,
    who: Member,
    from: common::Date,
    days: i32,
    calendar: pb::HolidayCalendar,
) -> common::Date {
    let req = pb::AddBusinessDaysRequest {
        date: Some(from),
        days,
        calendar: calendar as i32,
        ignore_organisation_closed_days: false,
    };
    env.client()
        .add_business_days(env.req(who, req))
        .await
        .expect("add business days")
        .into_inner()
        .date
        .expect("date")
}

async fn next(
    env: &crate::support::Env,
    who: Member,
    from: common::Date,
    inclusive: bool,
    calendar: pb::HolidayCalendar,
) -> common::Date {
    let req = pb::NextBusinessDayRequest {
        date: Some(from),
        inclusive,
        calendar: calendar as i32,
        ignore_organisation_closed_days: false,
    };
    env.client()
        .next_business_day(env.req(who, req))
        .await
        .expect("next business day")
        .into_inner()
        .date
        .expect("date")
}

/// Counting skips each calendar's closures forward and backward; from a closed day +1
/// is the next business day, -1 the previous and 0 the next.
#[tokio::test]
async fn adding_business_days_counts_both_ways() {
    for env in envs().await {
        let who = Member::new(uuid::Uuid::now_v7(), Role::Agent);
        // Back one day from the Tuesday after Easter 2026.
        assert_eq!(
            add(&env, who, date(2026, 4, 7), -1, Target).await,
            date(2026, 4, 2)
        );
        assert_eq!(
            add(&env, who, date(2026, 4, 7), -1, Fr).await,
            date(2026, 4, 3)
        );
        // Over Christmas 2025: 26 December is a TARGET closing day only.
        assert_eq!(
            add(&env, who, date(2025, 12, 24), 1, Target).await,
            date(2025, 12, 29)
        );
        assert_eq!(
            add(&env, who, date(2025, 12, 24), 1, Fr).await,
            date(2025, 12, 26)
        );
        assert_eq!(
            add(&env, who, date(2025, 12, 24), 1, FrTarget).await,
            date(2025, 12, 29)
        );
        // Five back from Monday 11 May 2026: 8 May closes France, 1 May everyone.
        assert_eq!(
            add(&env, who, date(2026, 5, 11), -5, Target).await,
            date(2026, 5, 4)
        );
        assert_eq!(
            add(&env, who, date(2026, 5, 11), -5, FrTarget).await,
            date(2026, 4, 30)
        );
        // From a Saturday.
        assert_eq!(
            add(&env, who, date(2026, 3, 28), 1, Fr).await,
            date(2026, 3, 30)
        );
        assert_eq!(
            add(&env, who, date(2026, 3, 28), -1, Fr).await,
            date(2026, 3, 27)
        );
        assert_eq!(
            add(&env, who, date(2026, 3, 28), 0, Fr).await,
            date(2026, 3, 30)
        );
        // Across a year end: 31 December 2026 + 1 skips New Year's Day.
        assert_eq!(
            add(&env, who, date(2026, 12, 31), 1, Target).await,
            date(2027, 1, 4)
        );
        // NextBusinessDay, strict or inclusive.
        assert_eq!(
            next(&env, who, date(2026, 4, 2), true, Target).await,
            date(2026, 4, 2)
        );
        assert_eq!(
            next(&env, who, date(2026, 4, 2), false, Target).await,
            date(2026, 4, 7)
        );
        assert_eq!(
            next(&env, who, date(2026, 4, 2), false, Fr).await,
            date(2026, 4, 3)
        );
        assert_eq!(
            next(&env, who, date(2026, 4, 6), true, Fr).await,
            date(2026, 4, 7)
        );
    }
}

/// ListHolidays names each calendar's closing days, weekend ones included;
/// GetCalendarDays flags every day of a range and counts the business days.
#[tokio::test]
async fn holidays_and_calendar_days() {
    for env in envs().await {
        let who = Member::new(uuid::Uuid::now_v7(), Role::Accountant);
        let list = |calendar: pb::HolidayCalendar| {
            let req = pb::ListHolidaysRequest {
                year: 2026,
                calendar: calendar as i32,
                ignore_organisation_closed_days: false,
            };
            let mut client = env.client();
            let req = env.req(who, req);
            async move {
                client
                    .list_holidays(req)
                    .await
                    .expect("holidays")
                    .into_inner()
                    .days
            }
        };
        let target = list(Target).await;
        let names: Vec<_> = target
            .iter()
            .map(|d| {
                d.closures
                    .last()
                    .map(|c| c.name.clone())
                    .unwrap_or_default()
            })
            .collect();
        assert_eq!(
            names,
            [
                "New Year's Day",
                "Good Friday",
                "Easter Monday",
                "Labour Day",
                "Christmas Day",
                "Boxing Day"
            ]
        );
        // 26 December 2026 is a Saturday: listed, with both reasons.
        let boxing = &target[5];
        assert_eq!(boxing.date, Some(date(2026, 12, 26)));
        assert_eq!(boxing.closures.len(), 2);
        assert_eq!(list(Fr).await.len(), 11);
        assert_eq!(list(FrTarget).await.len(), 13);

        let days = |calendar: pb::HolidayCalendar, start: common::Date, end: common::Date| {
            let req = pb::GetCalendarDaysRequest {
                start_date: Some(start),
                end_date: Some(end),
                calendar: calendar as i32,
                ignore_organisation_closed_days: false,
            };
            let mut client = env.client();
            let req = env.req(who, req);
            async move { client.get_calendar_days(req).await }
        };
        let april = days(Fr, date(2026, 4, 1), date(2026, 4, 30))
            .await
            .expect("april")
            .into_inner();
        assert_eq!(april.days.len(), 30);
        assert_eq!(april.business_day_count, 21);
        let april = days(Target, date(2026, 4, 1), date(2026, 4, 30))
            .await
            .expect("april")
            .into_inner();
        assert_eq!(april.business_day_count, 20);
        assert!(!april.days[2].business_day, "Good Friday");
        assert_eq!(april.days[2].closures[0].name, "Good Friday");
        // A whole leap year is 366 days; one more is refused.
        let leap = days(Target, date(2028, 1, 1), date(2028, 12, 31))
            .await
            .expect("2028")
            .into_inner();
        assert_eq!(leap.days.len(), 366);
        let err = days(Target, date(2028, 1, 1), date(2029, 1, 1))
            .await
            .expect_err("too long");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(violation_fields(&err), ["end_date"]);
    }
}

/// Bad business-day requests are INVALID_ARGUMENT naming every wrong field.
#[tokio::test]
async fn business_day_requests_report_every_violation() {
    for env in envs().await {
        let who = Member::admin();
        let mut c = env.client();
        let err = c
            .is_business_day(env.req(who, pb::IsBusinessDayRequest::default()))
            .await
            .expect_err("empty");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(violation_fields(&err), ["date", "calendar"]);

        let req = pb::AddBusinessDaysRequest {
            date: Some(date(2026, 2, 30)),
            days: 20_000,
            calendar: 9,
            ignore_organisation_closed_days: false,
        };
        let err = c
            .add_business_days(env.req(who, req))
            .await
            .expect_err("bad");
        assert_eq!(violation_fields(&err), ["date", "calendar", "days"]);

        let req = pb::NextBusinessDayRequest {
            date: Some(date(1200, 1, 1)),
            calendar: Target as i32,
            ..Default::default()
        };
        let err = c
            .next_business_day(env.req(who, req))
            .await
            .expect_err("too old");
        assert_eq!(violation_fields(&err), ["date"]);

        let req = pb::ListHolidaysRequest {
            year: 1500,
            ..Default::default()
        };
        let err = c.list_holidays(env.req(who, req)).await.expect_err("bad");
        assert_eq!(violation_fields(&err), ["calendar", "year"]);

        let req = pb::GetCalendarDaysRequest {
            start_date: Some(date(2026, 5, 2)),
            end_date: Some(date(2026, 5, 1)),
            calendar: Fr as i32,
            ..Default::default()
        };
        let err = c
            .get_calendar_days(env.req(who, req))
            .await
            .expect_err("reversed");
        assert_eq!(violation_fields(&err), ["end_date"]);

        // A walk past the last supported year is refused, not guessed.
        let req = pb::AddBusinessDaysRequest {
            date: Some(date(4099, 12, 30)),
            days: 5,
            calendar: Fr as i32,
            ignore_organisation_closed_days: false,
        };
        let err = c
            .add_business_days(env.req(who, req))
            .await
            .expect_err("past 4099");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(violation_fields(&err), ["days"]);

        // No token: UNAUTHENTICATED.
        let err = c
            .is_business_day(tonic::Request::new(pb::IsBusinessDayRequest::default()))
            .await
            .expect_err("no token");
        assert_eq!(err.code(), Code::Unauthenticated);
    }
}
