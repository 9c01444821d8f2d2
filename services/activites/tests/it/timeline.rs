//! ListTimeline: what it lists, in which order, and its checks.

use crm_proto::activites::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Member, envs, violation_fields};

/// A timeline mixes notes, calls and tasks of its client only, newest first, in pages.
#[tokio::test]
async fn a_timeline_pages_newest_first() {
    for env in envs().await {
        let admin = Member::admin();
        let (client, other) = (Uuid::now_v7(), Uuid::now_v7());
        let mut ids = Vec::new();
        for i in 0..3 {
            ids.push(
                env.note(admin, client, &format!("n{i}"))
                    .await
                    .expect("note")
                    .id,
            );
        }
        env.note(admin, other, "elsewhere").await.expect("other");
        let task = env
            .client()
            .create_task(env.req(
                admin,
                pb::CreateTaskRequest {
                    title: "t".into(),
                    due_time: Some(crate::support::in_days(1)),
                    assignee_user_id: admin.user.to_string(),
                    client_id: client.to_string(),
                    ..Default::default()
                },
            ))
            .await
            .expect("task")
            .into_inner()
            .activity
            .expect("activity");
        ids.push(task.id);
        let page = |token: String| {
            let mut c = env.client();
            let req = env.req(
                admin,
                pb::ListTimelineRequest {
                    page_size: 3,
                    page_token: token,
                    client_id: client.to_string(),
                    ..Default::default()
                },
            );
            async move { c.list_timeline(req).await.map(|r| r.into_inner()) }
        };
        let first = page(String::new()).await.expect("p1");
        let second = page(first.next_page_token.clone()).await.expect("p2");
        assert!(second.next_page_token.is_empty());
        let listed: Vec<_> = first
            .activities
            .iter()
            .chain(&second.activities)
            .map(|a| a.id.clone())
            .collect();
        ids.reverse();
        assert_eq!(listed, ids);
        env.running.stop().await.expect("stop");
    }
}

/// ListTimeline needs exactly one of client_id and subject, well-formed, and a token
/// of the same query.
#[tokio::test]
async fn timeline_violations_are_reported_together() {
    for env in envs().await {
        let admin = Member::admin();
        let list = |req: pb::ListTimelineRequest| {
            let mut c = env.client();
            let req = env.req(admin, req);
            async move { c.list_timeline(req).await.map(|r| r.into_inner()) }
        };
        let err = list(pb::ListTimelineRequest::default())
            .await
            .expect_err("none");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(violation_fields(&err), ["client_id"]);
        let subject = pb::AggregateRef {
            kind: "contract".into(),
            id: Uuid::now_v7().to_string(),
        };
        let err = list(pb::ListTimelineRequest {
            client_id: Uuid::now_v7().to_string(),
            subject: Some(subject),
            page_size: -1,
            page_token: "zz".into(),
        })
        .await
        .expect_err("both");
        assert_eq!(
            violation_fields(&err),
            ["subject", "page_size", "page_token"]
        );
        let err = list(pb::ListTimelineRequest {
            subject: Some(pb::AggregateRef::default()),
            ..Default::default()
        })
        .await
        .expect_err("empty subject");
        assert_eq!(violation_fields(&err), ["subject.kind", "subject.id"]);
        // A token only continues the query it came from.
        let client = Uuid::now_v7();
        for i in 0..2 {
            env.note(admin, client, &format!("{i}"))
                .await
                .expect("note");
        }
        let first = list(pb::ListTimelineRequest {
            client_id: client.to_string(),
            page_size: 1,
            ..Default::default()
        })
        .await
        .expect("p1");
        let err = list(pb::ListTimelineRequest {
            client_id: Uuid::now_v7().to_string(),
            page_size: 1,
            page_token: first.next_page_token,
            ..Default::default()
        })
        .await
        .expect_err("other client");
        assert_eq!(violation_fields(&err), ["page_token"]);
        env.running.stop().await.expect("stop");
    }
}
