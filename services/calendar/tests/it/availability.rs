//! Working hours, availability and slot proposals, including daylight-saving changes.

use chrono::{DateTime, Utc};
use crm_kit::Role;
use crm_proto::calendar::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Env, Member, date, envs, event, spans, ts, utc, violation_fields};

fn period(day: pb::DayOfWeek, start: (i32, i32), end: (i32, i32)) -> pb::WorkingPeriod {
    pb::WorkingPeriod {
        day_of_week: day as i32,
        start: Some(pb::TimeOfDay {
            hours: start.0,
            minutes: start.1,
        }),
        end: Some(pb::TimeOfDay {
            hours: end.0,
            minutes: end.1,
        }),
    }
}

/// Monday to Friday, 09:00 to 18:00 in `zone`.
fn weekdays(user: Uuid, zone: &str) -> pb::WorkingHours {
    use pb::DayOfWeek::*;
    pb::WorkingHours {
        user_id: user.to_string(),
        time_zone: zone.into(),
        periods: [Monday, Tuesday, Wednesday, Thursday, Friday]
            .into_iter()
            .map(|d| period(d, (9, 0), (18, 0)))
            .collect(),
        ..Default::default()
    }
}

async fn set_hours(
    env: &Env,
    who: Member,
    hours: pb::WorkingHours,
) -> Result<pb::WorkingHours, tonic::Status> {
    let req = pb::SetWorkingHoursRequest {
        working_hours: Some(hours),
    };
    Ok(env
        .client()
        .set_working_hours(env.req(who, req))
        .await?
        .into_inner()
        .working_hours
        .expect("hours"))
}

async fn availability(
    env: &Env,
    who: Member,
    user: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<pb::GetAvailabilityResponse, tonic::Status> {
    let req = pb::GetAvailabilityRequest {
        user_id: user.to_string(),
        start_time: Some(ts(from)),
        end_time: Some(ts(to)),
    };
    Ok(env
        .client()
        .get_availability(env.req(who, req))
        .await?
        .into_inner())
}

async fn propose(
    env: &Env,
    who: Member,
    users: &[Uuid],
    minutes: i32,
    granularity: i32,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> Result<Vec<(DateTime<Utc>, DateTime<Utc>)>, tonic::Status> {
    let req = pb::ProposeSlotsRequest {
        attendee_user_ids: users.iter().map(Uuid::to_string).collect(),
        duration_minutes: minutes,
        window_start: Some(ts(from)),
        window_end: Some(ts(to)),
        granularity_minutes: granularity,
        max_results: 100,
    };
    let slots = env
        .client()
        .propose_slots(env.req(who, req))
        .await?
        .into_inner()
        .slots;
    Ok(spans(&slots))
}

/// Everyone has the default hours until set; members set their own, owners and admins
/// anyone's; the version guards concurrent changes; every mistake is reported.
#[tokio::test]
async fn working_hours_default_and_set() {
    for env in envs().await {
        let agent = Member::new(Uuid::now_v7(), Role::Agent);
        let req = pb::GetWorkingHoursRequest {
            user_id: agent.user.to_string(),
        };
        let got = env
            .client()
            .get_working_hours(env.req(agent, req))
            .await
            .expect("get")
            .into_inner();
        let hours = got.working_hours.expect("hours");
        assert!(hours.is_default);
        assert_eq!(
            (hours.time_zone.as_str(), hours.version, hours.periods.len()),
            ("Europe/Paris", 0, 5)
        );
        assert_eq!(hours.calendar, pb::HolidayCalendar::Fr as i32);

        let mut mine = weekdays(agent.user, "America/New_York");
        mine.periods
            .push(period(pb::DayOfWeek::Saturday, (9, 0), (12, 0)));
        let stored = set_hours(&env, agent, mine.clone()).await.expect("own");
        assert_eq!(
            (stored.version, stored.is_default, stored.periods.len()),
            (1, false, 6)
        );
        mine.version = 1;
        assert_eq!(
            set_hours(&env, agent, mine.clone())
                .await
                .expect("again")
                .version,
            2
        );
        let stale = set_hours(&env, agent, mine).await.expect_err("stale");
        assert_eq!(stale.code(), Code::Aborted);

        let other = agent.colleague(Role::Agent);
        let err = set_hours(&env, agent, weekdays(other.user, "Europe/Paris"))
            .await
            .expect_err("not theirs");
        assert_eq!(err.code(), Code::PermissionDenied);
        let manager = agent.colleague(Role::Manager);
        let err = set_hours(&env, manager, weekdays(other.user, "Europe/Paris"))
            .await
            .expect_err("manager");
        assert_eq!(err.code(), Code::PermissionDenied);
        let admin = agent.colleague(Role::Admin);
        assert_eq!(
            set_hours(&env, admin, weekdays(other.user, "Europe/Paris"))
                .await
                .expect("admin")
                .version,
            1
        );
        // Another organisation sees the defaults for the same user.
        let outsider = Member::admin();
        let req = pb::GetWorkingHoursRequest {
            user_id: agent.user.to_string(),
        };
        let theirs = env
            .client()
            .get_working_hours(env.req(outsider, req))
            .await
            .expect("get")
            .into_inner();
        assert!(theirs.working_hours.expect("hours").is_default);

        let bad = pb::WorkingHours {
            user_id: "x".into(),
            time_zone: "Paris".into(),
            calendar: 7,
            periods: vec![
                period(pb::DayOfWeek::Monday, (9, 0), (12, 0)),
                period(pb::DayOfWeek::Monday, (11, 0), (14, 0)),
                period(pb::DayOfWeek::Unspecified, (14, 0), (13, 0)),
            ],
            ..Default::default()
        };
        let err = set_hours(&env, agent, bad).await.expect_err("bad");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            violation_fields(&err),
            [
                "working_hours.user_id",
                "working_hours.time_zone",
                "working_hours.calendar",
                "working_hours.periods[1]",
                "working_hours.periods[2].day_of_week",
                "working_hours.periods[2].end",
            ]
        );
    }
}

/// Busy time is the user's scheduled events (owned or attended, overlaps merged,
/// cancelled ones left out); free time is working hours minus busy.
#[tokio::test]
async fn availability_subtracts_overlapping_events() {
    for env in envs().await {
        let alice = Member::new(Uuid::now_v7(), Role::Agent);
        let bob = alice.colleague(Role::Agent);
        // Monday 30 March 2026, Paris is UTC+2: work 07:00-16:00 UTC.
        env.create_event(
            alice,
            event("one", utc(2026, 3, 30, 7, 0), utc(2026, 3, 30, 8, 0)),
        )
        .await
        .expect("one");
        env.create_event(
            alice,
            event("two", utc(2026, 3, 30, 7, 30), utc(2026, 3, 30, 9, 0)),
        )
        .await
        .expect("two");
        let gone = env
            .create_event(
                alice,
                event("gone", utc(2026, 3, 30, 12, 0), utc(2026, 3, 30, 13, 0)),
            )
            .await
            .expect("gone");
        env.cancel_event(alice, &gone.id).await.expect("cancel");
        let mut invite = event("bob's", utc(2026, 3, 30, 14, 0), utc(2026, 3, 30, 14, 30));
        invite.attendee_user_ids = vec![alice.user.to_string()];
        env.create_event(bob, invite).await.expect("invite");
        // After hours: busy, but outside working time anyway.
        env.create_event(
            alice,
            event("dinner", utc(2026, 3, 30, 18, 0), utc(2026, 3, 30, 20, 0)),
        )
        .await
        .expect("dinner");

        let viewer = alice.colleague(Role::Viewer);
        let got = availability(
            &env,
            viewer,
            alice.user,
            utc(2026, 3, 30, 0, 0),
            utc(2026, 3, 31, 0, 0),
        )
        .await
        .expect("availability");
        assert_eq!(
            spans(&got.busy),
            [
                (utc(2026, 3, 30, 7, 0), utc(2026, 3, 30, 9, 0)),
                (utc(2026, 3, 30, 14, 0), utc(2026, 3, 30, 14, 30)),
                (utc(2026, 3, 30, 18, 0), utc(2026, 3, 30, 20, 0)),
            ]
        );
        assert_eq!(
            spans(&got.free),
            [
                (utc(2026, 3, 30, 9, 0), utc(2026, 3, 30, 14, 0)),
                (utc(2026, 3, 30, 14, 30), utc(2026, 3, 30, 16, 0)),
            ]
        );
        assert!(got.working_hours.expect("hours").is_default);

        // Both free for an hour: after Alice's morning, around Bob's invite.
        let window = (utc(2026, 3, 30, 0, 0), utc(2026, 3, 31, 0, 0));
        let slots = propose(&env, viewer, &[alice.user, bob.user], 60, 30, window)
            .await
            .expect("slots");
        assert_eq!(
            slots.first(),
            Some(&(utc(2026, 3, 30, 9, 0), utc(2026, 3, 30, 10, 0)))
        );
        assert!(slots.contains(&(utc(2026, 3, 30, 13, 0), utc(2026, 3, 30, 14, 0))));
        assert!(
            !slots
                .iter()
                .any(|(s, e)| *s < utc(2026, 3, 30, 14, 30) && *e > utc(2026, 3, 30, 14, 0))
        );
        assert_eq!(
            slots.last(),
            Some(&(utc(2026, 3, 30, 15, 0), utc(2026, 3, 30, 16, 0)))
        );
        assert_eq!(slots.len(), 11);

        // Another organisation sees none of Alice's events in her free/busy.
        let outsider = Member::admin();
        let theirs = availability(
            &env,
            outsider,
            alice.user,
            utc(2026, 3, 30, 0, 0),
            utc(2026, 3, 31, 0, 0),
        )
        .await
        .expect("availability");
        assert!(theirs.busy.is_empty());
        assert_eq!(
            spans(&theirs.free),
            [(utc(2026, 3, 30, 7, 0), utc(2026, 3, 30, 16, 0))]
        );
    }
}

/// Paris working hours move in UTC with the March and October changes, and slots follow
/// them; Paris and New York overlap an hour longer in the weeks between the US and the
/// European changes.
#[tokio::test]
async fn slots_follow_daylight_saving_changes() {
    for env in envs().await {
        let paris = Member::new(Uuid::now_v7(), Role::Agent);
        // Friday 27 March (UTC+1) and Monday 30 March (UTC+2): 18 half hours each.
        let march = propose(
            &env,
            paris,
            &[paris.user],
            30,
            30,
            (utc(2026, 3, 27, 0, 0), utc(2026, 3, 31, 0, 0)),
        )
        .await
        .expect("march");
        assert_eq!(march.len(), 36);
        assert_eq!(march[0], (utc(2026, 3, 27, 8, 0), utc(2026, 3, 27, 8, 30)));
        assert_eq!(
            march[17],
            (utc(2026, 3, 27, 16, 30), utc(2026, 3, 27, 17, 0))
        );
        assert_eq!(march[18], (utc(2026, 3, 30, 7, 0), utc(2026, 3, 30, 7, 30)));
        assert_eq!(
            march[35],
            (utc(2026, 3, 30, 15, 30), utc(2026, 3, 30, 16, 0))
        );
        // Friday 23 October (UTC+2) and Monday 26 October (UTC+1).
        let october = propose(
            &env,
            paris,
            &[paris.user],
            30,
            30,
            (utc(2026, 10, 23, 0, 0), utc(2026, 10, 27, 0, 0)),
        )
        .await
        .expect("october");
        assert_eq!(october.len(), 36);
        assert_eq!(october[0].0, utc(2026, 10, 23, 7, 0));
        assert_eq!(october[18].0, utc(2026, 10, 26, 8, 0));
        assert_eq!(october[35].1, utc(2026, 10, 26, 17, 0));

        // A New York colleague, 09:00-18:00 in their zone.
        let ny = paris.colleague(Role::Agent);
        set_hours(&env, ny, weekdays(ny.user, "America/New_York"))
            .await
            .expect("hours");
        let day = |d: u32| (utc(2026, 3, d, 0, 0), utc(2026, 3, d + 1, 0, 0));
        let both = |d: u32| {
            let env = &env;
            async move {
                let s = propose(env, paris, &[paris.user, ny.user], 30, 30, day(d))
                    .await
                    .expect("slots");
                (s.first().map(|s| s.0), s.last().map(|s| s.1), s.len())
            }
        };
        // Monday 2 March: EST and CET, 14:00-17:00 UTC.
        assert_eq!(
            both(2).await,
            (
                Some(utc(2026, 3, 2, 14, 0)),
                Some(utc(2026, 3, 2, 17, 0)),
                6
            )
        );
        // Monday 16 March: EDT already, CET still, 13:00-17:00 UTC.
        assert_eq!(
            both(16).await,
            (
                Some(utc(2026, 3, 16, 13, 0)),
                Some(utc(2026, 3, 16, 17, 0)),
                8
            )
        );
        // Monday 30 March: EDT and CEST, 13:00-16:00 UTC.
        assert_eq!(
            both(30).await,
            (
                Some(utc(2026, 3, 30, 13, 0)),
                Some(utc(2026, 3, 30, 16, 0)),
                6
            )
        );
    }
}

/// Holidays of the user's calendar and the organisation's closed days have no slots.
#[tokio::test]
async fn holidays_and_closed_days_have_no_slots() {
    for env in envs().await {
        let admin = Member::admin();
        // Thursday 14 May 2026 is Ascension in France; the organisation closes Friday 15.
        env.add_closed_day(admin, date(2026, 5, 15), "Bridge day")
            .await
            .expect("closed");
        let window = (utc(2026, 5, 14, 0, 0), utc(2026, 5, 16, 0, 0));
        assert!(
            propose(&env, admin, &[admin.user], 30, 15, window)
                .await
                .expect("slots")
                .is_empty()
        );
        // A TARGET calendar works on Ascension, but the closed day still applies.
        let mut hours = weekdays(admin.user, "Europe/Paris");
        hours.calendar = pb::HolidayCalendar::Target as i32;
        set_hours(&env, admin, hours).await.expect("hours");
        let slots = propose(&env, admin, &[admin.user], 30, 15, window)
            .await
            .expect("slots");
        assert_eq!(slots.first().map(|s| s.0), Some(utc(2026, 5, 14, 7, 0)));
        assert!(slots.iter().all(|s| s.1 <= utc(2026, 5, 14, 16, 0)));
        // Another organisation's user works on the 15th.
        let other = Member::admin();
        let theirs = propose(
            &env,
            other,
            &[other.user],
            30,
            15,
            (utc(2026, 5, 15, 0, 0), utc(2026, 5, 16, 0, 0)),
        )
        .await
        .expect("slots");
        assert_eq!(theirs.first().map(|s| s.0), Some(utc(2026, 5, 15, 7, 0)));
    }
}

/// Bad availability and proposal requests name every wrong field.
#[tokio::test]
async fn availability_requests_report_every_violation() {
    for env in envs().await {
        let who = Member::admin();
        let req = pb::GetAvailabilityRequest {
            user_id: "x".into(),
            start_time: Some(ts(utc(2026, 3, 30, 0, 0))),
            end_time: Some(ts(utc(2026, 6, 30, 0, 0))),
        };
        let err = env
            .client()
            .get_availability(env.req(who, req))
            .await
            .expect_err("bad");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(violation_fields(&err), ["user_id", "end_time"]);

        let id = Uuid::now_v7().to_string();
        let req = pb::ProposeSlotsRequest {
            attendee_user_ids: vec![id.clone(), id, "x".into()],
            duration_minutes: 2,
            window_start: Some(ts(utc(2026, 3, 30, 10, 0))),
            window_end: None,
            granularity_minutes: 7,
            max_results: -1,
        };
        let err = env
            .client()
            .propose_slots(env.req(who, req))
            .await
            .expect_err("bad");
        assert_eq!(
            violation_fields(&err),
            [
                "attendee_user_ids[1]",
                "attendee_user_ids[2]",
                "duration_minutes",
                "granularity_minutes",
                "max_results",
                "window_end",
            ]
        );
        let err = env
            .client()
            .propose_slots(env.req(who, pb::ProposeSlotsRequest::default()))
            .await
            .expect_err("empty");
        assert_eq!(
            violation_fields(&err),
            [
                "attendee_user_ids",
                "duration_minutes",
                "window_start",
                "window_end"
            ]
        );
    }
}
