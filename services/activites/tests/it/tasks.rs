//! CreateTask, CompleteTask and ListMyTasks.

use crm_kit::Role;
use crm_proto::activites::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Member, envs, in_days, violation_fields};

fn task_of(a: &pb::Activity) -> &pb::TaskDetails {
    match &a.details {
        Some(pb::activity::Details::Task(t)) => t,
        other => panic!("not a task: {other:?}"),
    }
}

/// A task about a client is open, assigned, on the client's timeline and in the
/// assignee's tasks.
#[tokio::test]
async fn a_task_is_created_open_for_its_assignee() {
    for env in envs().await {
        let admin = Member::admin();
        let agent = Member::new(admin.org, Role::Agent);
        let client = Uuid::now_v7();
        let due = in_days(3);
        let task = env
            .client()
            .create_task(env.req(
                admin,
                pb::CreateTaskRequest {
                    title: " send the quote ".into(),
                    due_time: Some(due),
                    assignee_user_id: agent.user.to_string(),
                    client_id: client.to_string(),
                    ..Default::default()
                },
            ))
            .await
            .expect("task")
            .into_inner()
            .activity
            .expect("activity");
        let t = task_of(&task);
        assert_eq!(t.title, "send the quote");
        assert_eq!(t.status, pb::TaskStatus::Open as i32);
        assert_eq!(t.due_time, Some(due));
        assert_eq!(t.assignee_user_id, agent.user.to_string());
        assert_eq!(task.client_id, client.to_string());
        assert_eq!(
            env.timeline(admin, client).await.expect("tl"),
            vec![task.clone()]
        );
        let mine = env
            .client()
            .list_my_tasks(env.req(agent, pb::ListMyTasksRequest::default()))
            .await
            .expect("mine")
            .into_inner();
        assert_eq!(mine.activities, vec![task]);
        let admins = env
            .client()
            .list_my_tasks(env.req(admin, pb::ListMyTasksRequest::default()))
            .await
            .expect("admin's")
            .into_inner();
        assert!(admins.activities.is_empty());
        env.running.stop().await.expect("stop");
    }
}

/// Every malformed field of a task is reported at once.
#[tokio::test]
async fn task_violations_are_reported_together() {
    for env in envs().await {
        let admin = Member::admin();
        let err = env
            .client()
            .create_task(env.req(
                admin,
                pb::CreateTaskRequest {
                    request_id: "x".into(),
                    client_id: "y".into(),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("invalid");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            violation_fields(&err),
            [
                "request_id",
                "title",
                "due_time",
                "assignee_user_id",
                "client_id"
            ]
        );
        let err = env
            .client()
            .create_task(env.req(
                admin,
                pb::CreateTaskRequest {
                    title: "t".repeat(201),
                    due_time: Some(prost_types::Timestamp {
                        seconds: 0,
                        nanos: -5,
                    }),
                    assignee_user_id: "bad".into(),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("invalid");
        assert_eq!(
            violation_fields(&err),
            ["title", "due_time", "assignee_user_id"]
        );
        env.running.stop().await.expect("stop");
    }
}

/// A task completes once: the second CompleteTask is FAILED_PRECONDITION and the task
/// keeps its first completion.
#[tokio::test]
async fn a_task_completes_only_once() {
    for env in envs().await {
        let admin = Member::admin();
        let agent = Member::new(admin.org, Role::Agent);
        let task = env
            .task(admin, agent.user, "call back")
            .await
            .expect("task");
        let done = env.complete(agent, &task.id).await.expect("complete");
        let t = task_of(&done);
        assert_eq!(t.status, pb::TaskStatus::Completed as i32);
        assert_eq!(t.completed_by_user_id, agent.user.to_string());
        assert!(t.complete_time.is_some());
        let again = env.complete(admin, &task.id).await.expect_err("twice");
        assert_eq!(again.code(), Code::FailedPrecondition);
        let mine = env
            .client()
            .list_my_tasks(env.req(agent, pb::ListMyTasksRequest::default()))
            .await
            .expect("mine")
            .into_inner()
            .activities;
        assert_eq!(mine, vec![done]);
        env.running.stop().await.expect("stop");
    }
}

/// CompleteTask needs a task id; an unknown id or a note's id is NOT_FOUND.
#[tokio::test]
async fn only_existing_tasks_complete() {
    for env in envs().await {
        let admin = Member::admin();
        let err = env.complete(admin, "").await.expect_err("empty");
        assert_eq!(violation_fields(&err), ["task_id"]);
        let err = env.complete(admin, "nope").await.expect_err("bad");
        assert_eq!(err.code(), Code::InvalidArgument);
        let err = env
            .complete(admin, &Uuid::now_v7().to_string())
            .await
            .expect_err("unknown");
        assert_eq!(err.code(), Code::NotFound);
        let note = env.note(admin, Uuid::now_v7(), "n").await.expect("note");
        let err = env.complete(admin, &note.id).await.expect_err("note");
        assert_eq!(err.code(), Code::NotFound);
        env.running.stop().await.expect("stop");
    }
}

/// ListMyTasks filters by status and pages newest first with a token bound to the filter.
#[tokio::test]
async fn my_tasks_filter_and_page() {
    for env in envs().await {
        let admin = Member::admin();
        let mut ids = Vec::new();
        for i in 0..5 {
            ids.push(
                env.task(admin, admin.user, &format!("t{i}"))
                    .await
                    .expect("task")
                    .id,
            );
        }
        env.complete(admin, &ids[1]).await.expect("complete");
        let list = |status: pb::TaskStatus, size: i32, token: String| {
            let mut c = env.client();
            let req = env.req(
                admin,
                pb::ListMyTasksRequest {
                    page_size: size,
                    page_token: token,
                    status: status as i32,
                },
            );
            async move { c.list_my_tasks(req).await.map(|r| r.into_inner()) }
        };
        let open = list(pb::TaskStatus::Open, 0, String::new())
            .await
            .expect("open");
        let open_ids: Vec<_> = open.activities.iter().map(|a| a.id.clone()).collect();
        assert_eq!(
            open_ids,
            [
                ids[4].clone(),
                ids[3].clone(),
                ids[2].clone(),
                ids[0].clone()
            ]
        );
        let done = list(pb::TaskStatus::Completed, 0, String::new())
            .await
            .expect("done");
        assert_eq!(done.activities.len(), 1);
        assert_eq!(done.activities[0].id, ids[1]);
        let first = list(pb::TaskStatus::Unspecified, 2, String::new())
            .await
            .expect("p1");
        assert_eq!(first.activities.len(), 2);
        assert!(!first.next_page_token.is_empty());
        let second = list(
            pb::TaskStatus::Unspecified,
            2,
            first.next_page_token.clone(),
        )
        .await
        .expect("p2");
        let third = list(
            pb::TaskStatus::Unspecified,
            2,
            second.next_page_token.clone(),
        )
        .await
        .expect("p3");
        assert!(third.next_page_token.is_empty());
        let all: Vec<_> = [first.clone(), second, third]
            .iter()
            .flat_map(|p| p.activities.iter().map(|a| a.id.clone()))
            .collect();
        let mut expected = ids.clone();
        expected.reverse();
        assert_eq!(all, expected);
        let err = list(pb::TaskStatus::Open, 2, first.next_page_token)
            .await
            .expect_err("token of another filter");
        assert_eq!(violation_fields(&err), ["page_token"]);
        let mut c = env.client();
        let err = c
            .list_my_tasks(env.req(
                admin,
                pb::ListMyTasksRequest {
                    page_size: -3,
                    page_token: "garbage".into(),
                    status: 9,
                },
            ))
            .await
            .expect_err("invalid");
        assert_eq!(
            violation_fields(&err),
            ["status", "page_size", "page_token"]
        );
        env.running.stop().await.expect("stop");
    }
}
