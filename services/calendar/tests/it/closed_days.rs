//! The organisations' own closed days: they close business days for that organisation
//! only, owners and admins manage them, and they list by pages in date order.

use crm_kit::Role;
use crm_proto::calendar::v1 as pb;
use pb::HolidayCalendar::{Fr, Target};
use tonic::Code;
use uuid::Uuid;

use crate::support::{Env, Member, date, envs, violation_fields};

async fn add_days(
    env: &Env,
    who: Member,
    from: crm_proto::common::v1::Date,
    days: i32,
    ignore: bool,
) -> crm_proto::common::v1::Date {
    let req = pb::AddBusinessDaysRequest {
        date: Some(from),
        days,
        calendar: Target as i32,
        ignore_organisation_closed_days: ignore,
    };
    env.client()
        .add_business_days(env.req(who, req))
        .await
        .expect("add business days")
        .into_inner()
        .date
        .expect("date")
}

/// A closed day of one organisation closes that day for its members only, unless a
/// request ignores the organisation's days; it shows in its holidays.
#[tokio::test]
async fn closed_days_close_the_organisation_only() {
    for env in envs().await {
        let a = Member::admin();
        let b = Member::admin();
        let added = env
            .add_closed_day(a, date(2026, 5, 15), "Bridge day")
            .await
            .expect("add");
        assert_eq!(added.created_by_user_id, a.user.to_string());
        let agent = a.colleague(Role::Agent);
        let got = env.is_business_day(agent, date(2026, 5, 15), Target).await;
        assert!(!got.business_day);
        let closure = &got.day.expect("day").closures[0];
        assert_eq!(
            (closure.kind, closure.name.as_str()),
            (pb::ClosureKind::Organisation as i32, "Bridge day")
        );
        assert!(
            env.is_business_day(b, date(2026, 5, 15), Target)
                .await
                .business_day
        );

        assert_eq!(
            add_days(&env, agent, date(2026, 5, 14), 1, false).await,
            date(2026, 5, 18)
        );
        assert_eq!(
            add_days(&env, agent, date(2026, 5, 14), 1, true).await,
            date(2026, 5, 15)
        );
        assert_eq!(
            add_days(&env, b, date(2026, 5, 14), 1, false).await,
            date(2026, 5, 15)
        );

        let holidays = |who: Member, ignore: bool| {
            let req = pb::ListHolidaysRequest {
                year: 2026,
                calendar: Fr as i32,
                ignore_organisation_closed_days: ignore,
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
        assert_eq!(holidays(a, false).await.len(), 12);
        assert_eq!(holidays(a, true).await.len(), 11);
        assert_eq!(holidays(b, false).await.len(), 11);
    }
}

/// Closing many days in a row makes the walk load a wider span until it finds an open
/// day.
#[tokio::test]
async fn a_long_closure_widens_the_walk() {
    for env in envs().await {
        let a = Member::admin();
        let mut day = chrono::NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
        let last = chrono::NaiveDate::from_ymd_opt(2026, 7, 15).expect("date");
        while day <= last {
            env.add_closed_day(a, crm_kit::convert::date_to_proto(day), "Summer closure")
                .await
                .expect("add");
            day = day.succ_opt().expect("next");
        }
        assert_eq!(
            add_days(&env, a, date(2026, 5, 29), 1, false).await,
            date(2026, 7, 16)
        );
        assert_eq!(
            add_days(&env, a, date(2026, 7, 16), -1, false).await,
            date(2026, 5, 29)
        );
    }
}

/// Duplicates, idempotent retries, removal, roles, other organisations and validation.
#[tokio::test]
async fn closed_day_rules() {
    for env in envs().await {
        let a = Member::admin();
        let b = Member::new(Uuid::now_v7(), Role::Owner);
        let first = env
            .add_closed_day(a, date(2026, 12, 24), "Christmas Eve")
            .await
            .expect("add");
        let dup = env
            .add_closed_day(a, date(2026, 12, 24), "Again")
            .await
            .expect_err("duplicate");
        assert_eq!(dup.code(), Code::AlreadyExists);
        // Another organisation closes the same date freely.
        env.add_closed_day(b, date(2026, 12, 24), "Theirs")
            .await
            .expect("other org");

        // A retried request returns the first answer.
        let request_id = Uuid::now_v7().to_string();
        let retry = |name: &str| pb::AddClosedDayRequest {
            closed_day: Some(pb::ClosedDay {
                date: Some(date(2026, 12, 31)),
                name: name.into(),
                ..Default::default()
            }),
            request_id: request_id.clone(),
        };
        let one = env
            .client()
            .add_closed_day(env.req(a, retry("Eve")))
            .await
            .expect("add")
            .into_inner();
        let two = env
            .client()
            .add_closed_day(env.req(a, retry("Eve")))
            .await
            .expect("retry")
            .into_inner();
        assert_eq!(one.closed_day.map(|d| d.id), two.closed_day.map(|d| d.id));

        // Only owners and admins change them; every member lists them.
        for role in [Role::Manager, Role::Agent, Role::Viewer] {
            let who = a.colleague(role);
            let err = env
                .add_closed_day(who, date(2026, 8, 14), "No")
                .await
                .expect_err("role");
            assert_eq!(err.code(), Code::PermissionDenied, "{role:?}");
            let err = env
                .client()
                .remove_closed_day(env.req(
                    who,
                    pb::RemoveClosedDayRequest {
                        closed_day_id: first.id.clone(),
                    },
                ))
                .await
                .expect_err("role");
            assert_eq!(err.code(), Code::PermissionDenied, "{role:?}");
            let listed = env
                .client()
                .list_closed_days(env.req(who, pb::ListClosedDaysRequest::default()))
                .await
                .expect("list")
                .into_inner();
            assert_eq!(listed.closed_days.len(), 2);
        }

        // Another organisation cannot remove it: NOT_FOUND, like a missing one.
        for id in [first.id.clone(), Uuid::now_v7().to_string()] {
            let err = env
                .client()
                .remove_closed_day(env.req(b, pb::RemoveClosedDayRequest { closed_day_id: id }))
                .await
                .expect_err("other org");
            assert_eq!(err.code(), Code::NotFound);
        }
        assert!(
            !env.is_business_day(a, date(2026, 12, 24), Target)
                .await
                .business_day
        );
        env.client()
            .remove_closed_day(env.req(
                a,
                pb::RemoveClosedDayRequest {
                    closed_day_id: first.id.clone(),
                },
            ))
            .await
            .expect("remove");
        assert!(
            env.is_business_day(a, date(2026, 12, 24), Target)
                .await
                .business_day
        );
        assert!(
            !env.is_business_day(b, date(2026, 12, 24), Target)
                .await
                .business_day
        );
        let again = env
            .client()
            .remove_closed_day(env.req(
                a,
                pb::RemoveClosedDayRequest {
                    closed_day_id: first.id.clone(),
                },
            ))
            .await
            .expect_err("gone");
        assert_eq!(again.code(), Code::NotFound);

        let bad = pb::AddClosedDayRequest {
            closed_day: Some(pb::ClosedDay {
                id: Uuid::now_v7().to_string(),
                date: Some(date(2026, 2, 30)),
                name: "  ".into(),
                ..Default::default()
            }),
            request_id: "nope".into(),
        };
        let err = env
            .client()
            .add_closed_day(env.req(a, bad))
            .await
            .expect_err("bad");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            violation_fields(&err),
            [
                "request_id",
                "closed_day.id",
                "closed_day.date",
                "closed_day.name"
            ]
        );
        let err = env
            .client()
            .remove_closed_day(env.req(
                a,
                pb::RemoveClosedDayRequest {
                    closed_day_id: "x".into(),
                },
            ))
            .await
            .expect_err("bad id");
        assert_eq!(violation_fields(&err), ["closed_day_id"]);
    }
}

/// Closed days list in date order, by pages, within a range; a token is refused for
/// other filters.
#[tokio::test]
async fn closed_days_list_in_date_order_by_pages() {
    for env in envs().await {
        let a = Member::admin();
        for d in [20, 3, 11, 27, 7] {
            env.add_closed_day(a, date(2026, 10, d), &format!("Day {d}"))
                .await
                .expect("add");
        }
        env.add_closed_day(a, date(2027, 1, 2), "Next year")
            .await
            .expect("add");
        let list = |token: String, end: Option<crm_proto::common::v1::Date>| {
            let req = pb::ListClosedDaysRequest {
                page_size: 2,
                page_token: token,
                start_date: Some(date(2026, 10, 1)),
                end_date: end,
            };
            let mut client = env.client();
            let req = env.req(a, req);
            async move { client.list_closed_days(req).await }
        };
        let end = Some(date(2026, 12, 31));
        let mut seen = Vec::new();
        let mut token = String::new();
        loop {
            let page = list(token, end).await.expect("page").into_inner();
            assert!(page.closed_days.len() <= 2);
            seen.extend(
                page.closed_days
                    .iter()
                    .map(|d| d.date.map(|d| d.day).unwrap_or_default()),
            );
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(seen, [3, 7, 11, 20, 27]);
        let first = list(String::new(), end).await.expect("page").into_inner();
        let err = list(first.next_page_token, None)
            .await
            .expect_err("other filters");
        assert_eq!(violation_fields(&err), ["page_token"]);
    }
}
