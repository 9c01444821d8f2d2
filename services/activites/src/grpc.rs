//! The tonic implementation of `crm.activites.v1.ActivityService`: decode, validate,
//! call the domain and the store, encode.

use chrono::{Duration, Utc};
use crm_kit::convert::required_id;
use crm_proto::activites::v1 as pb;
use crm_proto::activites::v1::activity_service_server::ActivityService;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::convert::{
    Violations, activity_to_proto, direction_from_proto, from_timestamp, optional_uuid,
    status_filter, subject_from_proto, uuid_field,
};
use crate::domain::{self, Activity, Details, Subject, Task, TaskStatus};
use crate::error::Error;
use crate::repo::{self, Repo, TimelineOf};

/// How far in the future a call may be dated (clock skew).
const CALL_SKEW_SECONDS: i64 = 300;

/// The activities API.
#[derive(Debug, Clone)]
pub struct ActivitiesApi {
    repo: Repo,
}

impl ActivitiesApi {
    /// Returns the API over `repo`.
    pub fn new(repo: Repo) -> Self {
        Self { repo }
    }
}

fn invalid(v: Violations) -> Result<(), Error> {
    if v.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidArgument(v))
    }
}

/// Returns a new activity of the caller's organisation, written now by `author`.
fn new_activity(
    org: Uuid,
    author: Uuid,
    subject: Subject,
    client_id: Option<Uuid>,
    body: String,
    details: Details,
) -> Activity {
    let now = repo::now();
    Activity {
        id: Uuid::now_v7(),
        organisation_id: org,
        subject,
        client_id,
        author: Some(author),
        body,
        details,
        occurred_at: now,
        created_at: now,
    }
}

/// Returns the page size and the position after which a page starts, recording
/// violations.
fn paging(size: i32, token: &str, fingerprint: u64, v: &mut Violations) -> (u64, Option<Uuid>) {
    let size = crm_db::page_size(size)
        .map_err(|e| v.push(("page_size".into(), e.to_string())))
        .unwrap_or(crm_db::page::DEFAULT_PAGE_SIZE);
    let after = crm_db::PageToken::decode(token, fingerprint)
        .map_err(|e| v.push(("page_token".into(), e.to_string())))
        .ok()
        .flatten()
        .map(|t| t.after);
    (size, after)
}

fn next_token(more: bool, page: &[Activity], fingerprint: u64) -> String {
    match (more, page.last()) {
        (true, Some(last)) => crm_db::PageToken {
            after: last.id,
            filters: fingerprint,
        }
        .encode(),
        _ => String::new(),
    }
}

#[tonic::async_trait]
impl ActivityService for ActivitiesApi {
    async fn create_note(
        &self,
        request: Request<pb::CreateNoteRequest>,
    ) -> Result<Response<pb::CreateNoteResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let (tenant, user) = (ctx.tenant()?, ctx.user_id()?);
        let req = request.get_ref();
        let mut v = Violations::new();
        let request_id = optional_uuid(&req.request_id, "request_id", &mut v);
        let client_id = optional_uuid(&req.client_id, "client_id", &mut v);
        let subject = req
            .subject
            .as_ref()
            .and_then(|s| subject_from_proto(s, "subject", &mut v));
        if req.client_id.trim().is_empty() && req.subject.is_none() {
            v.push((
                "client_id".into(),
                "client_id or subject is required".into(),
            ));
        }
        // A note about a client names it in both fields; they must agree.
        let client_id = match (&subject, client_id) {
            (Some(s), Some(c)) if s.kind == "client" && s.id != c.to_string() => {
                v.push(("subject.id".into(), "must be the client_id".into()));
                None
            }
            (Some(s), None) if s.kind == "client" => Uuid::parse_str(&s.id).ok(),
            (_, c) => c,
        };
        let body = domain::text_field(&req.body, domain::MAX_BODY, "body", &mut v);
        invalid(v)?;
        let (Some(body), Some(subject)) = (body, subject.or(client_id.map(Subject::client))) else {
            return Err(Status::invalid_argument("client_id"));
        };
        let note = new_activity(tenant.id(), user, subject, client_id, body, Details::Note);
        let note = self.repo.create(tenant, note, request_id).await?;
        Ok(Response::new(pb::CreateNoteResponse {
            activity: Some(activity_to_proto(note)),
        }))
    }

    async fn log_call(
        &self,
        request: Request<pb::LogCallRequest>,
    ) -> Result<Response<pb::LogCallResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let (tenant, user) = (ctx.tenant()?, ctx.user_id()?);
        let req = request.get_ref();
        let mut v = Violations::new();
        let request_id = optional_uuid(&req.request_id, "request_id", &mut v);
        let client_id = uuid_field(&req.client_id, "client_id", &mut v);
        let direction = direction_from_proto(req.direction, "direction", &mut v);
        if !(0..=domain::MAX_CALL_SECONDS).contains(&req.duration_seconds) {
            v.push((
                "duration_seconds".into(),
                format!("must be between 0 and {}", domain::MAX_CALL_SECONDS),
            ));
        }
        let outcome = domain::text_field(&req.outcome, domain::MAX_OUTCOME, "outcome", &mut v);
        let occurred = match &req.occur_time {
            None => {
                v.push(("occur_time".into(), "is required".into()));
                None
            }
            Some(t) => from_timestamp(t, "occur_time", &mut v),
        };
        if let Some(at) = occurred
            && at > Utc::now() + Duration::seconds(CALL_SKEW_SECONDS)
        {
            v.push(("occur_time".into(), "must not be in the future".into()));
        }
        invalid(v)?;
        let (Some(client_id), Some(direction), Some(outcome), Some(occurred)) =
            (client_id, direction, outcome, occurred)
        else {
            return Err(Status::invalid_argument("call"));
        };
        let mut call = new_activity(
            tenant.id(),
            user,
            Subject::client(client_id),
            Some(client_id),
            outcome,
            Details::Call {
                direction,
                duration_seconds: req.duration_seconds,
            },
        );
        call.occurred_at = chrono::SubsecRound::trunc_subsecs(occurred, 6);
        let call = self.repo.create(tenant, call, request_id).await?;
        Ok(Response::new(pb::LogCallResponse {
            activity: Some(activity_to_proto(call)),
        }))
    }

    async fn create_task(
        &self,
        request: Request<pb::CreateTaskRequest>,
    ) -> Result<Response<pb::CreateTaskResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let (tenant, user) = (ctx.tenant()?, ctx.user_id()?);
        let req = request.get_ref();
        let mut v = Violations::new();
        let request_id = optional_uuid(&req.request_id, "request_id", &mut v);
        let title = domain::text_field(&req.title, domain::MAX_TITLE, "title", &mut v);
        let due = match &req.due_time {
            None => {
                v.push(("due_time".into(), "is required".into()));
                None
            }
            Some(t) => from_timestamp(t, "due_time", &mut v),
        };
        let assignee = uuid_field(&req.assignee_user_id, "assignee_user_id", &mut v);
        let client_id = optional_uuid(&req.client_id, "client_id", &mut v);
        invalid(v)?;
        let (Some(title), Some(due), Some(assignee)) = (title, due, assignee) else {
            return Err(Status::invalid_argument("task"));
        };
        let subject = match client_id {
            Some(c) => Subject::client(c),
            None => Subject {
                kind: "user".into(),
                id: assignee.to_string(),
            },
        };
        let task = new_activity(
            tenant.id(),
            user,
            subject,
            client_id,
            String::new(),
            Details::Task(Task {
                title,
                due_at: chrono::SubsecRound::trunc_subsecs(due, 6),
                assignee,
                status: TaskStatus::Open,
                completed_at: None,
                completed_by: None,
            }),
        );
        let task = self.repo.create(tenant, task, request_id).await?;
        Ok(Response::new(pb::CreateTaskResponse {
            activity: Some(activity_to_proto(task)),
        }))
    }

    async fn complete_task(
        &self,
        request: Request<pb::CompleteTaskRequest>,
    ) -> Result<Response<pb::CompleteTaskResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let (tenant, user) = (ctx.tenant()?, ctx.user_id()?);
        let id = required_id(&request.get_ref().task_id, "task_id")?;
        let now = repo::now();
        let task = self
            .repo
            .update_task(tenant, id, |current| {
                current
                    .complete(user, now)
                    .map_err(|why| Error::FailedPrecondition(why.into()))
            })
            .await?;
        Ok(Response::new(pb::CompleteTaskResponse {
            activity: Some(activity_to_proto(task)),
        }))
    }

    async fn list_timeline(
        &self,
        request: Request<pb::ListTimelineRequest>,
    ) -> Result<Response<pb::ListTimelineResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let tenant = ctx.tenant()?;
        let req = request.get_ref();
        let mut v = Violations::new();
        let of = match (req.client_id.trim().is_empty(), &req.subject) {
            (false, None) => {
                uuid_field(&req.client_id, "client_id", &mut v).map(TimelineOf::Client)
            }
            (true, Some(s)) => subject_from_proto(s, "subject", &mut v).map(TimelineOf::Subject),
            (true, None) => {
                v.push((
                    "client_id".into(),
                    "client_id or subject is required".into(),
                ));
                None
            }
            (false, Some(_)) => {
                v.push((
                    "subject".into(),
                    "give client_id or subject, not both".into(),
                ));
                None
            }
        };
        let subject = req.subject.clone().unwrap_or_default();
        let fingerprint = crm_db::page::fingerprint(&[&req.client_id, &subject.kind, &subject.id]);
        let (size, after) = paging(req.page_size, &req.page_token, fingerprint, &mut v);
        invalid(v)?;
        let Some(of) = of else {
            return Err(Status::invalid_argument("client_id"));
        };
        let (page, more) = self.repo.timeline(tenant, &of, after, size).await?;
        let next_page_token = next_token(more, &page, fingerprint);
        Ok(Response::new(pb::ListTimelineResponse {
            activities: page.into_iter().map(activity_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn list_my_tasks(
        &self,
        request: Request<pb::ListMyTasksRequest>,
    ) -> Result<Response<pb::ListMyTasksResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let (tenant, user) = (ctx.tenant()?, ctx.user_id()?);
        let req = request.get_ref();
        let mut v = Violations::new();
        let status = status_filter(req.status, "status", &mut v);
        let fingerprint = crm_db::page::fingerprint(&[&req.status.to_string()]);
        let (size, after) = paging(req.page_size, &req.page_token, fingerprint, &mut v);
        invalid(v)?;
        let (page, more) = self
            .repo
            .tasks_of(tenant, user, status, after, size)
            .await?;
        let next_page_token = next_token(more, &page, fingerprint);
        Ok(Response::new(pb::ListMyTasksResponse {
            activities: page.into_iter().map(activity_to_proto).collect(),
            next_page_token,
        }))
    }
}
