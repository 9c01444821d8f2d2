//! Tenant isolation: another organisation's activities do not exist for the caller.

use crm_kit::Role;
use crm_proto::activites::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Member, envs};

/// Another organisation sees none of a client's timeline, none of its tasks, and its
/// CompleteTask on them is NOT_FOUND, exactly like a missing task.
#[tokio::test]
async fn organisations_see_only_their_own_activities() {
    for env in envs().await {
        let alice = Member::admin();
        let mallory = Member::new(Uuid::now_v7(), Role::Owner);
        let client = Uuid::now_v7();
        env.note(alice, client, "private").await.expect("note");
        let task = env
            .task(alice, alice.user, "private task")
            .await
            .expect("task");
        assert!(env.timeline(mallory, client).await.expect("tl").is_empty());
        // The same user id in another organisation has no tasks there.
        let alias = Member {
            org: mallory.org,
            ..alice
        };
        let theirs = env
            .client()
            .list_my_tasks(env.req(alias, pb::ListMyTasksRequest::default()))
            .await
            .expect("list")
            .into_inner();
        assert!(theirs.activities.is_empty());
        let err = env.complete(mallory, &task.id).await.expect_err("foreign");
        assert_eq!(err.code(), Code::NotFound);
        let unknown = Uuid::now_v7();
        let missing = env
            .complete(mallory, &unknown.to_string())
            .await
            .expect_err("missing");
        assert_eq!(missing.code(), Code::NotFound);
        assert_eq!(err.message(), format!("task {} not found", task.id));
        assert_eq!(missing.message(), format!("task {unknown} not found"));
        // Still open for its own organisation.
        env.complete(alice, &task.id).await.expect("own");
        assert_eq!(env.timeline(alice, client).await.expect("own tl").len(), 1);
        env.running.stop().await.expect("stop");
    }
}
