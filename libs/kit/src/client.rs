//! Typed clients to other services. Every call carries an internal token (signed with the
//! mesh key, audience = the target, acting for the caller's organisation and user), the
//! caller's trace context, and the caller's remaining deadline, never a fresh one.

use std::future::Future;
use std::time::{Duration, Instant};

use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};
use uuid::Uuid;

use crate::auth::context::{RequestContext, Role};
use crate::auth::{INTERNAL_SERVICE_HEADER, INTERNAL_TOKEN_HEADER, MeshKey};

/// Deadline given to calls made outside any request (start-up, background work).
pub const BACKGROUND_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection to another service, and what is needed to call it as this service.
#[derive(Debug, Clone)]
pub struct Downstream {
    caller: &'static str,
    target: &'static str,
    mesh: MeshKey,
    channel: Channel,
}

/// Who a call acts for.
#[derive(Debug, Clone, Copy, Default)]
pub struct OnBehalfOf {
    /// The organisation.
    pub organisation_id: Option<Uuid>,
    /// The user.
    pub user_id: Option<Uuid>,
    /// The user's role.
    pub role: Option<Role>,
    /// The user's sales-agent record.
    pub commercial_id: Option<Uuid>,
}

impl Downstream {
    /// Returns a downstream to `target` at `url` that connects on first use and
    /// reconnects by itself, so services may start in any order.
    pub fn lazy(
        caller: &'static str,
        target: &'static str,
        url: &str,
        mesh: MeshKey,
    ) -> Result<Self, Status> {
        let endpoint = Endpoint::from_shared(url.to_owned())
            .map_err(|e| Status::internal(format!("bad address for {target}: {e}")))?
            .connect_timeout(Duration::from_secs(2))
            .tcp_nodelay(true);
        Ok(Self {
            caller,
            target,
            mesh,
            channel: endpoint.connect_lazy(),
        })
    }

    /// Returns the channel, for a generated client: `FooServiceClient::new(d.channel())`.
    pub fn channel(&self) -> Channel {
        self.channel.clone()
    }

    /// Returns the target's name.
    pub fn target(&self) -> &'static str {
        self.target
    }

    /// Returns a request carrying `message` on behalf of the caller of `ctx`, with its
    /// trace context and what remains of its deadline.
    pub fn request<T>(
        &self,
        ctx: &RequestContext,
        message: T,
    ) -> Result<tonic::Request<T>, Status> {
        let on_behalf = OnBehalfOf {
            organisation_id: ctx.organisation_id,
            user_id: ctx.user_id().ok(),
            role: ctx.role,
            commercial_id: ctx.commercial_id,
        };
        self.request_as(ctx, on_behalf, message)
    }

    /// Returns a request carrying `message` within the call of `ctx` (its trace context
    /// and what remains of its deadline) but acting as `on_behalf`: for a check this
    /// service makes for the organisation as a whole, whose answer the caller does not
    /// see.
    pub fn request_as<T>(
        &self,
        ctx: &RequestContext,
        on_behalf: OnBehalfOf,
        message: T,
    ) -> Result<tonic::Request<T>, Status> {
        let timeout = match ctx.deadline {
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(Status::deadline_exceeded(format!(
                        "deadline passed before calling {}",
                        self.target
                    )));
                }
                left
            }
            None => BACKGROUND_TIMEOUT,
        };
        self.build(on_behalf, ctx.traceparent.as_deref(), timeout, message)
    }

    /// Returns a request made outside any incoming call (start-up, events), acting as
    /// `on_behalf`, with a fresh trace and [`BACKGROUND_TIMEOUT`].
    pub fn background_request<T>(
        &self,
        on_behalf: OnBehalfOf,
        message: T,
    ) -> Result<tonic::Request<T>, Status> {
        let traceparent = crate::layers::new_traceparent();
        self.build(on_behalf, Some(&traceparent), BACKGROUND_TIMEOUT, message)
    }

    fn build<T>(
        &self,
        on_behalf: OnBehalfOf,
        traceparent: Option<&str>,
        timeout: Duration,
        message: T,
    ) -> Result<tonic::Request<T>, Status> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let token = self
            .mesh
            .mint_with_commercial(
                self.caller,
                self.target,
                on_behalf.organisation_id,
                on_behalf.user_id,
                on_behalf.role,
                on_behalf.commercial_id,
                now,
            )
            .map_err(|e| Status::internal(e.to_string()))?;
        let mut request = tonic::Request::new(message);
        request.set_timeout(timeout);
        let md = request.metadata_mut();
        md.insert(
            INTERNAL_SERVICE_HEADER,
            MetadataValue::from_static(self.caller),
        );
        md.insert(
            INTERNAL_TOKEN_HEADER,
            token
                .parse()
                .map_err(|_| Status::internal("internal token is not a header value"))?,
        );
        if let Some(tp) = traceparent.and_then(|t| t.parse().ok()) {
            md.insert("traceparent", tp);
        }
        Ok(request)
    }
}

/// Pause before the one retry of a read that answered UNAVAILABLE.
pub const RETRY_BACKOFF: Duration = Duration::from_millis(100);

/// Time kept before the caller's deadline to answer it: a read still waiting then is
/// cut off, so the caller hears DEADLINE_EXCEEDED from this service rather than its own
/// timer racing the server's.
const ANSWER_MARGIN: Duration = Duration::from_millis(20);

/// Why a read from another service gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The service could not answer (down, refused, failed). `UNAVAILABLE` to the caller.
    #[error("the {service} service is unavailable: {message}")]
    Unavailable {
        /// The service.
        service: &'static str,
        /// What went wrong, for the logs.
        message: String,
    },
    /// The caller's deadline passed while waiting. `DEADLINE_EXCEEDED` to the caller.
    #[error("the deadline passed while waiting for the {0} service")]
    DeadlineExceeded(&'static str),
}

impl From<ReadError> for Status {
    fn from(error: ReadError) -> Self {
        match &error {
            ReadError::Unavailable { service, message } => {
                tracing::warn!(service, error = %message, "dependency unavailable");
                Status::unavailable(format!("the {service} service is unavailable"))
            }
            ReadError::DeadlineExceeded(_) => Status::deadline_exceeded(error.to_string()),
        }
    }
}

/// Returns what remains of the caller's deadline (or [`BACKGROUND_TIMEOUT`]).
pub fn remaining(ctx: &RequestContext) -> Duration {
    ctx.deadline.map_or(BACKGROUND_TIMEOUT, |d| {
        d.saturating_duration_since(Instant::now())
    })
}

/// Runs the idempotent read `call` to `service`, cut off when the caller's deadline
/// passes: `None` for NOT_FOUND, one retry after [`RETRY_BACKOFF`] for UNAVAILABLE when
/// the deadline leaves time for it, any other failure [`ReadError::Unavailable`]
/// ([`ReadError::DeadlineExceeded`] once the deadline passed). Only reads go through
/// here: a write whose answer was lost must not be sent twice.
pub async fn read<T, F, Fut>(
    ctx: &RequestContext,
    service: &'static str,
    call: F,
) -> Result<Option<T>, ReadError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, Status>>,
{
    let mut retried = false;
    loop {
        let budget = remaining(ctx).saturating_sub(ANSWER_MARGIN);
        let status = match tokio::time::timeout(budget, call()).await {
            Ok(Ok(value)) => return Ok(Some(value)),
            Ok(Err(status)) => status,
            Err(_) if ctx.deadline.is_some() => return Err(ReadError::DeadlineExceeded(service)),
            Err(_) => {
                return Err(ReadError::Unavailable {
                    service,
                    message: "no answer in time".into(),
                });
            }
        };
        // The client's own timer (grpc-timeout) reports a passed deadline as CANCELLED.
        if ctx.deadline.is_some() && remaining(ctx) <= ANSWER_MARGIN {
            return Err(ReadError::DeadlineExceeded(service));
        }
        match status.code() {
            Code::NotFound => return Ok(None),
            Code::DeadlineExceeded => return Err(ReadError::DeadlineExceeded(service)),
            Code::Unavailable if !retried && remaining(ctx) > RETRY_BACKOFF * 2 => {
                retried = true;
                tracing::debug!(service, "retrying a read after UNAVAILABLE");
                tokio::time::sleep(RETRY_BACKOFF).await;
            }
            code => {
                return Err(ReadError::Unavailable {
                    service,
                    message: format!("{code:?}: {}", status.message()),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::context::Principal;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn downstream() -> Downstream {
        Downstream::lazy(
            "users",
            "organisations",
            "http://127.0.0.1:1",
            MeshKey::new(&[3u8; 32]).expect("key"),
        )
        .expect("downstream")
    }

    #[tokio::test]
    async fn requests_carry_identity_trace_and_remaining_deadline() {
        let d = downstream();
        let org = Uuid::now_v7();
        let user = Uuid::now_v7();
        let ctx = RequestContext {
            principal: Principal::User { user_id: user },
            organisation_id: Some(org),
            role: Some(Role::Manager),
            commercial_id: None,
            deadline: Some(Instant::now() + Duration::from_secs(2)),
            traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into()),
        };
        let req = d.request(&ctx, ()).expect("request");
        let md = req.metadata();
        assert_eq!(
            md.get(INTERNAL_SERVICE_HEADER)
                .and_then(|v| v.to_str().ok()),
            Some("users")
        );
        assert_eq!(
            md.get("traceparent").and_then(|v| v.to_str().ok()),
            ctx.traceparent.as_deref()
        );
        let timeout = md
            .get("grpc-timeout")
            .and_then(|v| v.to_str().ok())
            .expect("timeout");
        let micros: u64 = timeout.trim_end_matches('u').parse().expect("micros");
        assert!(micros <= 2_000_000 && micros > 1_000_000, "{timeout}");
        let token = md
            .get(INTERNAL_TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .expect("token");
        let claims = MeshKey::new(&[3u8; 32])
            .expect("key")
            .verify(token, "users", "organisations")
            .expect("valid for the target");
        assert_eq!(claims.org, Some(org.to_string()));
        assert_eq!(claims.sub, Some(user.to_string()));
        assert_eq!(claims.role, Some(Role::Manager));
    }

    #[tokio::test]
    async fn a_passed_deadline_is_not_extended() {
        let d = downstream();
        let ctx = RequestContext {
            deadline: Some(Instant::now() - Duration::from_millis(1)),
            ..RequestContext::anonymous()
        };
        let err = d.request(&ctx, ()).expect_err("expired");
        assert_eq!(err.code(), tonic::Code::DeadlineExceeded);
    }

    fn ctx(deadline: Option<Duration>) -> RequestContext {
        RequestContext {
            deadline: deadline.map(|d| Instant::now() + d),
            ..RequestContext::anonymous()
        }
    }

    #[tokio::test]
    async fn unavailable_is_retried_once() {
        let calls = AtomicUsize::new(0);
        let result: Result<Option<()>, ReadError> =
            read(&ctx(Some(Duration::from_secs(5))), "x", || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(Status::unavailable("down"))
            })
            .await;
        assert!(matches!(
            result,
            Err(ReadError::Unavailable { service: "x", .. })
        ));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_second_attempt_can_succeed() {
        let calls = AtomicUsize::new(0);
        let result = read(&ctx(None), "x", || async {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                Err(Status::unavailable("blip"))
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(result, Ok(Some(7)));
    }

    #[tokio::test]
    async fn no_retry_without_time_left_and_not_found_is_none() {
        let calls = AtomicUsize::new(0);
        let result: Result<Option<()>, ReadError> =
            read(&ctx(Some(Duration::from_millis(150))), "x", || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(Status::unavailable("down"))
            })
            .await;
        assert!(matches!(result, Err(ReadError::Unavailable { .. })));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let missing: Result<Option<()>, ReadError> =
            read(&ctx(None), "x", || async { Err(Status::not_found("no")) }).await;
        assert_eq!(missing, Ok(None));
    }

    #[tokio::test]
    async fn a_hanging_service_is_cut_off_at_the_deadline() {
        let started = Instant::now();
        let result: Result<Option<()>, ReadError> =
            read(&ctx(Some(Duration::from_millis(200))), "x", || async {
                std::future::pending::<Result<(), Status>>().await
            })
            .await;
        assert_eq!(result, Err(ReadError::DeadlineExceeded("x")));
        assert!(started.elapsed() < Duration::from_secs(2));
        let status = Status::from(ReadError::DeadlineExceeded("x"));
        assert_eq!(status.code(), Code::DeadlineExceeded);
    }
}
