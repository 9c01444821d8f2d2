//! CreateNote: subjects, body limits, idempotent retries and roles.

use crm_kit::Role;
use crm_proto::activites::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Member, envs, violation_fields};

/// A note about a client is stored with its author and shows on the client's timeline.
#[tokio::test]
async fn a_note_about_a_client_is_on_its_timeline() {
    for env in envs().await {
        let admin = Member::admin();
        let client = Uuid::now_v7();
        let note = env
            .note(admin, client, "  rang back  ")
            .await
            .expect("note");
        assert_eq!(note.kind, pb::ActivityKind::Note as i32);
        assert_eq!(note.body, "rang back");
        assert_eq!(note.client_id, client.to_string());
        assert_eq!(note.author_user_id, admin.user.to_string());
        let subject = note.subject.clone().expect("subject");
        assert_eq!(
            (subject.kind.as_str(), subject.id),
            ("client", client.to_string())
        );
        let timeline = env.timeline(admin, client).await.expect("timeline");
        assert_eq!(timeline, vec![note]);
        env.running.stop().await.expect("stop");
    }
}

/// A note may be about any aggregate, with or without a client, and is listed under it.
#[tokio::test]
async fn a_note_about_a_contract_is_listed_under_the_contract() {
    for env in envs().await {
        let admin = Member::admin();
        let (contract, client) = (Uuid::now_v7(), Uuid::now_v7());
        let subject = pb::AggregateRef {
            kind: "contract".into(),
            id: contract.to_string(),
        };
        let note = env
            .client()
            .create_note(env.req(
                admin,
                pb::CreateNoteRequest {
                    client_id: client.to_string(),
                    subject: Some(subject.clone()),
                    body: "signed on paper".into(),
                    ..Default::default()
                },
            ))
            .await
            .expect("note")
            .into_inner()
            .activity
            .expect("activity");
        assert_eq!(note.client_id, client.to_string());
        let listed = env
            .client()
            .list_timeline(env.req(
                admin,
                pb::ListTimelineRequest {
                    subject: Some(subject),
                    ..Default::default()
                },
            ))
            .await
            .expect("list")
            .into_inner()
            .activities;
        assert_eq!(listed, vec![note.clone()]);
        assert_eq!(env.timeline(admin, client).await.expect("tl"), vec![note]);
        env.running.stop().await.expect("stop");
    }
}

/// Every malformed field of a note is reported at once.
#[tokio::test]
async fn note_violations_are_reported_together() {
    for env in envs().await {
        let admin = Member::admin();
        let err = env
            .client()
            .create_note(env.req(
                admin,
                pb::CreateNoteRequest {
                    request_id: "nope".into(),
                    client_id: "also-nope".into(),
                    subject: Some(pb::AggregateRef {
                        kind: "Bad Kind".into(),
                        id: "x".into(),
                    }),
                    body: "x".repeat(10_001),
                },
            ))
            .await
            .expect_err("invalid");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            violation_fields(&err),
            [
                "request_id",
                "client_id",
                "subject.kind",
                "subject.id",
                "body"
            ]
        );
        let empty = env
            .client()
            .create_note(env.req(admin, pb::CreateNoteRequest::default()))
            .await
            .expect_err("empty");
        assert_eq!(violation_fields(&empty), ["client_id", "body"]);
        let client = Uuid::now_v7();
        let mismatch = env
            .client()
            .create_note(env.req(
                admin,
                pb::CreateNoteRequest {
                    client_id: client.to_string(),
                    subject: Some(pb::AggregateRef {
                        kind: "client".into(),
                        id: Uuid::now_v7().to_string(),
                    }),
                    body: "b".into(),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("mismatch");
        assert_eq!(violation_fields(&mismatch), ["subject.id"]);
        // 10,000 characters is the limit, not beyond it.
        env.note(admin, client, &"é".repeat(10_000))
            .await
            .expect("longest body");
        env.running.stop().await.expect("stop");
    }
}

/// Retrying CreateNote with the same request_id returns the first note and adds none;
/// reusing it for a call is refused.
#[tokio::test]
async fn a_repeated_request_id_returns_the_first_note() {
    for env in envs().await {
        let admin = Member::admin();
        let client = Uuid::now_v7();
        let request = pb::CreateNoteRequest {
            request_id: Uuid::new_v4().to_string(),
            client_id: client.to_string(),
            body: "once".into(),
            ..Default::default()
        };
        let first = env
            .client()
            .create_note(env.req(admin, request.clone()))
            .await
            .expect("first")
            .into_inner();
        let again = env
            .client()
            .create_note(env.req(admin, request.clone()))
            .await
            .expect("again")
            .into_inner();
        assert_eq!(first, again);
        assert_eq!(env.timeline(admin, client).await.expect("tl").len(), 1);
        let call = env
            .client()
            .log_call(env.req(
                admin,
                pb::LogCallRequest {
                    request_id: request.request_id.clone(),
                    client_id: client.to_string(),
                    direction: pb::CallDirection::Inbound as i32,
                    duration_seconds: 10,
                    outcome: "x".into(),
                    occur_time: Some(crate::support::in_days(0)),
                },
            ))
            .await
            .expect_err("reused");
        assert_eq!(call.code(), Code::FailedPrecondition);
        env.running.stop().await.expect("stop");
    }
}

/// Viewers and accountants read timelines but may not write activities.
#[tokio::test]
async fn readers_cannot_write() {
    for env in envs().await {
        let admin = Member::admin();
        let client = Uuid::now_v7();
        env.note(admin, client, "visible").await.expect("note");
        for role in [Role::Viewer, Role::Accountant] {
            let reader = Member::new(admin.org, role);
            let err = env.note(reader, client, "nope").await.expect_err("denied");
            assert_eq!(err.code(), Code::PermissionDenied, "{role:?}");
            assert_eq!(env.timeline(reader, client).await.expect("read").len(), 1);
        }
        let agent = Member::new(admin.org, Role::Agent);
        env.note(agent, client, "agents write")
            .await
            .expect("agent");
        env.running.stop().await.expect("stop");
    }
}
