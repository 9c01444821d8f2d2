//! Shared set-up: a running activites service per backend and request helpers.

use crm_kit::Role;
use crm_proto::activites::v1 as pb;
use crm_proto::activites::v1::activity_service_client::ActivityServiceClient;
use crm_testkit::{Keys, Running, TestDatabase, authed};
use tonic::transport::Channel;
use uuid::Uuid;

/// An activites service, the keys to call it and the bus it consumes from.
pub struct Env {
    pub keys: Keys,
    pub running: Running,
    pub bus: crm_events::Bus,
    pub backend: crm_db::Backend,
    pub db: TestDatabase,
}

/// Starts one activites service per backend.
pub async fn envs() -> Vec<Env> {
    let mut out = Vec::new();
    for db in crm_testkit::each_backend().await.expect("databases") {
        let keys = Keys::new().expect("keys");
        let deps = crm_testkit::deps::<crm_activites::Migrator>(&keys, &db)
            .await
            .expect("deps");
        let bus = deps.bus.clone();
        let running = crm_testkit::spawn(deps, crm_activites::build)
            .await
            .expect("spawn");
        out.push(Env {
            keys,
            running,
            bus,
            backend: db.backend,
            db,
        });
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
}

impl Env {
    pub fn client(&self) -> ActivityServiceClient<Channel> {
        ActivityServiceClient::new(self.running.channel.clone())
    }

    pub fn req<T>(&self, who: Member, msg: T) -> tonic::Request<T> {
        authed(&self.keys.token(who.org, who.user, who.role), msg)
    }

    pub async fn note(
        &self,
        who: Member,
        client: Uuid,
        body: &str,
    ) -> Result<pb::Activity, tonic::Status> {
        let res = self
            .client()
            .create_note(self.req(
                who,
                pb::CreateNoteRequest {
                    client_id: client.to_string(),
                    body: body.into(),
                    ..Default::default()
                },
            ))
            .await?;
        Ok(res.into_inner().activity.expect("activity"))
    }

    pub async fn task(
        &self,
        who: Member,
        assignee: Uuid,
        title: &str,
    ) -> Result<pb::Activity, tonic::Status> {
        let res = self
            .client()
            .create_task(self.req(
                who,
                pb::CreateTaskRequest {
                    title: title.into(),
                    due_time: Some(in_days(2)),
                    assignee_user_id: assignee.to_string(),
                    ..Default::default()
                },
            ))
            .await?;
        Ok(res.into_inner().activity.expect("activity"))
    }

    pub async fn complete(&self, who: Member, id: &str) -> Result<pb::Activity, tonic::Status> {
        let res = self
            .client()
            .complete_task(self.req(who, pb::CompleteTaskRequest { task_id: id.into() }))
            .await?;
        Ok(res.into_inner().activity.expect("activity"))
    }

    pub async fn timeline(
        &self,
        who: Member,
        client: Uuid,
    ) -> Result<Vec<pb::Activity>, tonic::Status> {
        let res = self
            .client()
            .list_timeline(self.req(
                who,
                pb::ListTimelineRequest {
                    client_id: client.to_string(),
                    ..Default::default()
                },
            ))
            .await?;
        Ok(res.into_inner().activities)
    }
}

/// Returns the timestamp `days` from now (negative: in the past).
pub fn in_days(days: i64) -> prost_types::Timestamp {
    let t = chrono::Utc::now() + chrono::Duration::days(days);
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
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
