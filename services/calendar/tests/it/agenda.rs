//! Agenda events: create, read, update, cancel, validation, who sees what, and lists.

use crm_kit::Role;
use crm_proto::calendar::v1 as pb;
use prost_types::FieldMask;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Env, Member, envs, event, instant, ts, utc, violation_fields};

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

async fn update(
    env: &Env,
    who: Member,
    e: pb::Event,
    paths: &[&str],
) -> Result<pb::Event, tonic::Status> {
    let req = pb::UpdateEventRequest {
        event: Some(e),
        update_mask: mask(paths),
    };
    Ok(env
        .client()
        .update_event(env.req(who, req))
        .await?
        .into_inner()
        .event
        .expect("event"))
}

async fn list(
    env: &Env,
    who: Member,
    req: pb::ListEventsRequest,
) -> Result<pb::ListEventsResponse, tonic::Status> {
    Ok(env
        .client()
        .list_events(env.req(who, req))
        .await?
        .into_inner())
}

/// An event is created in the caller's agenda, read back with its wall-clock times,
/// updated by mask with an optimistic version, and cancelled without being deleted.
#[tokio::test]
async fn events_round_trip() {
    for env in envs().await {
        let agent = Member::new(Uuid::now_v7(), Role::Agent);
        let guest = agent.colleague(Role::Agent);
        let client_id = Uuid::now_v7().to_string();
        let mut input = event("Visit", utc(2026, 3, 30, 7, 0), utc(2026, 3, 30, 8, 0));
        input.client_id = client_id.clone();
        input.attendee_user_ids = vec![guest.user.to_string()];
        input.attendee_emails = vec!["Client@Example.FR".into()];
        input.reminder_minutes = vec![60, 10];
        let created = env.create_event(agent, input).await.expect("create");
        assert_eq!(created.owner_user_id, agent.user.to_string());
        assert_eq!(created.status, pb::EventStatus::Scheduled as i32);
        assert_eq!(created.version, 1);
        assert_eq!(created.local_start, "2026-03-30T09:00:00+02:00");
        assert_eq!(created.local_end, "2026-03-30T10:00:00+02:00");
        assert_eq!(created.attendee_emails, ["Client@example.fr"]);
        assert_eq!(created.reminder_minutes, [10, 60]);
        assert_eq!(created.client_id, client_id);
        assert_eq!(
            env.get_event(agent, &created.id).await.expect("get"),
            created
        );

        // Move it to the afternoon, entered in New York time.
        let moved = pb::Event {
            id: created.id.clone(),
            title: "Visit (moved)".into(),
            start_time: Some(ts(utc(2026, 3, 30, 13, 0))),
            end_time: Some(ts(utc(2026, 3, 30, 14, 30))),
            time_zone: "America/New_York".into(),
            location: "ignored: not in the mask".into(),
            version: 1,
            ..Default::default()
        };
        let updated = update(
            &env,
            agent,
            moved.clone(),
            &["title", "start_time", "end_time", "time_zone"],
        )
        .await
        .expect("update");
        assert_eq!(updated.version, 2);
        assert_eq!(updated.title, "Visit (moved)");
        assert_eq!(updated.location, created.location);
        assert_eq!(updated.local_start, "2026-03-30T09:00:00-04:00");
        assert_eq!(updated.attendee_user_ids, created.attendee_user_ids);
        let stale = update(&env, agent, moved, &["title"])
            .await
            .expect_err("stale");
        assert_eq!(stale.code(), Code::Aborted);
        // Without a mask, the fields set are changed.
        let implicit = pb::Event {
            id: created.id.clone(),
            location: "Lyon".into(),
            ..Default::default()
        };
        let updated = update(&env, agent, implicit, &[])
            .await
            .expect("implicit mask");
        assert_eq!((updated.location.as_str(), updated.version), ("Lyon", 3));

        let cancelled = env.cancel_event(agent, &created.id).await.expect("cancel");
        assert_eq!(cancelled.status, pb::EventStatus::Cancelled as i32);
        assert_eq!(cancelled.cancellation_reason, "client unavailable");
        assert!(cancelled.cancel_time.is_some());
        assert_eq!(cancelled.version, 4);
        // The history stays: still readable, no longer changeable.
        assert_eq!(
            env.get_event(agent, &created.id).await.expect("get").status,
            cancelled.status
        );
        let again = env
            .cancel_event(agent, &created.id)
            .await
            .expect_err("twice");
        assert_eq!(again.code(), Code::FailedPrecondition);
        let change = pb::Event {
            id: created.id.clone(),
            title: "Revive".into(),
            ..Default::default()
        };
        let err = update(&env, agent, change, &["title"])
            .await
            .expect_err("cancelled");
        assert_eq!(err.code(), Code::FailedPrecondition);

        // A retried create returns the first event.
        let request_id = Uuid::now_v7().to_string();
        let create = || pb::CreateEventRequest {
            event: Some(event("Call", utc(2026, 4, 1, 8, 0), utc(2026, 4, 1, 8, 30))),
            request_id: request_id.clone(),
        };
        let one = env
            .client()
            .create_event(env.req(agent, create()))
            .await
            .expect("one")
            .into_inner();
        let two = env
            .client()
            .create_event(env.req(agent, create()))
            .await
            .expect("two")
            .into_inner();
        assert_eq!(one.event.map(|e| e.id), two.event.map(|e| e.id));
    }
}

/// Every mistake of a create or an update is reported at once, and nothing is written.
#[tokio::test]
async fn event_validation_reports_every_violation() {
    for env in envs().await {
        let me = Member::new(Uuid::now_v7(), Role::Agent);
        let bad = pb::Event {
            id: Uuid::now_v7().to_string(),
            title: " ".into(),
            client_id: "nope".into(),
            start_time: Some(ts(utc(2026, 3, 30, 9, 0))),
            end_time: Some(ts(utc(2026, 3, 30, 8, 0))),
            time_zone: "Europe/Pariss".into(),
            attendee_user_ids: vec!["x".into()],
            attendee_emails: vec!["not-an-email".into()],
            reminder_minutes: vec![-5],
            status: pb::EventStatus::Cancelled as i32,
            ..Default::default()
        };
        let req = pb::CreateEventRequest {
            event: Some(bad),
            request_id: "nope".into(),
        };
        let err = env
            .client()
            .create_event(env.req(me, req))
            .await
            .expect_err("bad");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            violation_fields(&err),
            [
                "request_id",
                "event.id",
                "event.status",
                "event.title",
                "event.client_id",
                "event.time_zone",
                "event.end_time",
                "event.attendee_user_ids[0]",
                "event.attendee_emails[0]",
                "event.reminder_minutes[0]",
            ]
        );
        let empty = pb::Event {
            title: "No times".into(),
            ..Default::default()
        };
        let err = env.create_event(me, empty).await.expect_err("missing");
        assert_eq!(
            violation_fields(&err),
            ["event.time_zone", "event.start_time", "event.end_time"]
        );
        let listed = list(&env, me, pb::ListEventsRequest::default())
            .await
            .expect("list");
        assert!(listed.events.is_empty(), "nothing written");

        let good = env
            .create_event(
                me,
                event("Ok", utc(2026, 3, 30, 7, 0), utc(2026, 3, 30, 8, 0)),
            )
            .await
            .expect("create");
        let change = pb::Event {
            id: good.id.clone(),
            end_time: Some(ts(utc(2026, 3, 30, 6, 0))),
            ..Default::default()
        };
        let err = update(
            &env,
            me,
            change.clone(),
            &["end_time", "status", "owner_user_id"],
        )
        .await
        .expect_err("read-only paths");
        assert_eq!(
            violation_fields(&err),
            ["update_mask.paths[1]", "update_mask.paths[2]"]
        );
        let err = update(&env, me, change, &["end_time"])
            .await
            .expect_err("end before start");
        assert_eq!(violation_fields(&err), ["event.end_time"]);
        let err = update(&env, me, pb::Event::default(), &[])
            .await
            .expect_err("no id, no mask");
        assert_eq!(violation_fields(&err), ["event.id", "update_mask"]);
        assert_eq!(env.get_event(me, &good.id).await.expect("get").version, 1);
    }
}

/// An event is visible to its owner, its user attendees and the organisation's
/// managers, admins and owners; others get NOT_FOUND. Only the owner changes it.
#[tokio::test]
async fn events_are_private_to_owner_attendees_and_managers() {
    for env in envs().await {
        let org = Uuid::now_v7();
        let alice = Member::new(org, Role::Agent);
        let bob = Member::new(org, Role::Agent);
        let carol = Member::new(org, Role::Agent);
        let mut input = event(
            "Alice and Bob",
            utc(2026, 3, 30, 7, 0),
            utc(2026, 3, 30, 8, 0),
        );
        input.attendee_user_ids = vec![bob.user.to_string()];
        let e = env.create_event(alice, input).await.expect("create");
        let change = pb::Event {
            id: e.id.clone(),
            title: "Hijack".into(),
            ..Default::default()
        };

        // Carol, another agent: as if it did not exist.
        assert_eq!(
            env.get_event(carol, &e.id)
                .await
                .expect_err("hidden")
                .code(),
            Code::NotFound
        );
        assert_eq!(
            update(&env, carol, change.clone(), &["title"])
                .await
                .expect_err("hidden")
                .code(),
            Code::NotFound
        );
        assert_eq!(
            env.cancel_event(carol, &e.id)
                .await
                .expect_err("hidden")
                .code(),
            Code::NotFound
        );
        assert!(
            list(&env, carol, pb::ListEventsRequest::default())
                .await
                .expect("list")
                .events
                .is_empty()
        );

        // Bob attends: he sees it but cannot change it.
        assert!(env.get_event(bob, &e.id).await.is_ok());
        assert_eq!(
            list(&env, bob, pb::ListEventsRequest::default())
                .await
                .expect("list")
                .events
                .len(),
            1
        );
        assert_eq!(
            update(&env, bob, change.clone(), &["title"])
                .await
                .expect_err("not owner")
                .code(),
            Code::PermissionDenied
        );
        assert_eq!(
            env.cancel_event(bob, &e.id)
                .await
                .expect_err("not owner")
                .code(),
            Code::PermissionDenied
        );

        // Managers, admins and owners read everyone's, and change none of them.
        for role in [Role::Manager, Role::Admin, Role::Owner] {
            let boss = Member::new(org, role);
            assert!(env.get_event(boss, &e.id).await.is_ok(), "{role:?}");
            assert_eq!(
                list(&env, boss, pb::ListEventsRequest::default())
                    .await
                    .expect("list")
                    .events
                    .len(),
                1
            );
            let err = update(&env, boss, change.clone(), &["title"])
                .await
                .expect_err("not owner");
            assert_eq!(err.code(), Code::PermissionDenied, "{role:?}");
        }

        // Viewers and accountants keep their own agenda.
        for role in [Role::Viewer, Role::Accountant] {
            let reader = Member::new(org, role);
            let own = env
                .create_event(
                    reader,
                    event("Mine", utc(2026, 3, 31, 7, 0), utc(2026, 3, 31, 8, 0)),
                )
                .await
                .expect("own event");
            assert!(env.cancel_event(reader, &own.id).await.is_ok());
            assert_eq!(
                env.get_event(reader, &e.id)
                    .await
                    .expect_err("hidden")
                    .code(),
                Code::NotFound
            );
        }

        // Nobody creates events in someone else's agenda.
        let mut theirs = event("For Carol", utc(2026, 4, 1, 7, 0), utc(2026, 4, 1, 8, 0));
        theirs.owner_user_id = carol.user.to_string();
        let admin = Member::new(org, Role::Admin);
        assert_eq!(
            env.create_event(admin, theirs.clone())
                .await
                .expect_err("other owner")
                .code(),
            Code::PermissionDenied
        );
        theirs.owner_user_id = alice.user.to_string();
        assert!(env.create_event(alice, theirs).await.is_ok());
        assert_eq!(
            env.get_event(alice, &e.id).await.expect("unchanged").title,
            "Alice and Bob"
        );
    }
}

/// Another organisation's event is NOT_FOUND for every RPC, like a missing one.
#[tokio::test]
async fn other_organisations_see_nothing() {
    for env in envs().await {
        let a = Member::new(Uuid::now_v7(), Role::Owner);
        let b = Member::new(Uuid::now_v7(), Role::Owner);
        let e = env
            .create_event(
                a,
                event("Ours", utc(2026, 3, 30, 7, 0), utc(2026, 3, 30, 8, 0)),
            )
            .await
            .expect("create");
        for id in [e.id.clone(), Uuid::now_v7().to_string()] {
            assert_eq!(
                env.get_event(b, &id).await.expect_err("get").code(),
                Code::NotFound
            );
            let change = pb::Event {
                id: id.clone(),
                title: "Theirs".into(),
                ..Default::default()
            };
            assert_eq!(
                update(&env, b, change, &["title"])
                    .await
                    .expect_err("update")
                    .code(),
                Code::NotFound
            );
            assert_eq!(
                env.cancel_event(b, &id).await.expect_err("cancel").code(),
                Code::NotFound
            );
        }
        let req = pb::ListEventsRequest {
            owner_user_id: a.user.to_string(),
            ..Default::default()
        };
        assert!(list(&env, b, req).await.expect("list").events.is_empty());
        assert_eq!(
            env.get_event(a, &e.id).await.expect("untouched").title,
            "Ours"
        );
    }
}

/// Lists run by start time, page by page, within a range and filters; cancelled events
/// only on request; a token is refused for other filters.
#[tokio::test]
async fn events_list_by_start_with_filters_and_pages() {
    for env in envs().await {
        let manager = Member::new(Uuid::now_v7(), Role::Manager);
        let agent = manager.colleague(Role::Agent);
        let client = Uuid::now_v7().to_string();
        // Created out of order; two start at the same instant.
        for (title, h) in [
            ("c", 10),
            ("a", 7),
            ("e", 15),
            ("b", 9),
            ("b2", 9),
            ("late", 20),
        ] {
            let mut e = event(title, utc(2026, 3, 30, h, 0), utc(2026, 3, 30, h + 1, 0));
            if title == "e" {
                e.client_id = client.clone();
                e.attendee_user_ids = vec![manager.user.to_string()];
            }
            env.create_event(agent, e).await.expect("create");
        }
        let mine = env
            .create_event(
                manager,
                event("m", utc(2026, 3, 30, 11, 0), utc(2026, 3, 30, 12, 0)),
            )
            .await
            .expect("create");
        env.cancel_event(manager, &mine.id).await.expect("cancel");

        let range = |token: String| pb::ListEventsRequest {
            page_size: 2,
            page_token: token,
            start_time: Some(ts(utc(2026, 3, 30, 8, 0))),
            end_time: Some(ts(utc(2026, 3, 30, 18, 0))),
            ..Default::default()
        };
        let mut titles = Vec::new();
        let mut token = String::new();
        loop {
            let page = list(&env, manager, range(token)).await.expect("page");
            let starts: Vec<_> = page.events.iter().map(|e| instant(&e.start_time)).collect();
            assert!(starts.windows(2).all(|w| w[0] <= w[1]));
            titles.extend(page.events.into_iter().map(|e| e.title));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        // "a" ends at 08:00, so it is not after the range start; "late" starts after it.
        assert_eq!(titles, ["b", "b2", "c", "e"]);

        let with = |f: fn(&mut pb::ListEventsRequest)| {
            let mut req = pb::ListEventsRequest::default();
            f(&mut req);
            req
        };
        let all = list(&env, manager, with(|r| r.include_cancelled = true))
            .await
            .expect("list");
        assert_eq!(all.events.len(), 7);
        assert_eq!(
            list(&env, manager, pb::ListEventsRequest::default())
                .await
                .expect("list")
                .events
                .len(),
            6
        );
        let req = pb::ListEventsRequest {
            attendee_user_id: manager.user.to_string(),
            ..Default::default()
        };
        assert_eq!(
            list(&env, manager, req).await.expect("list").events.len(),
            1
        );
        let req = pb::ListEventsRequest {
            client_id: client.clone(),
            ..Default::default()
        };
        assert_eq!(list(&env, agent, req).await.expect("list").events.len(), 1);
        let req = pb::ListEventsRequest {
            owner_user_id: manager.user.to_string(),
            include_cancelled: true,
            ..Default::default()
        };
        let own = list(&env, manager, req).await.expect("list");
        assert_eq!(own.events.len(), 1);
        assert_eq!(own.events[0].status, pb::EventStatus::Cancelled as i32);

        let first = list(&env, manager, range(String::new()))
            .await
            .expect("page");
        let mut other = range(first.next_page_token);
        other.owner_user_id = agent.user.to_string();
        let err = list(&env, manager, other).await.expect_err("other filters");
        assert_eq!(violation_fields(&err), ["page_token"]);
        let bad = pb::ListEventsRequest {
            start_time: Some(ts(utc(2026, 3, 30, 9, 0))),
            end_time: Some(ts(utc(2026, 3, 30, 8, 0))),
            owner_user_id: "x".into(),
            page_size: -1,
            ..Default::default()
        };
        let err = list(&env, manager, bad).await.expect_err("bad");
        assert_eq!(
            violation_fields(&err),
            ["owner_user_id", "end_time", "page_size"]
        );
    }
}
