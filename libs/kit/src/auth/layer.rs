//! The tower layer that authenticates every call except health and reflection, checks the
//! method's access in the service's permission table, and attaches a [`RequestContext`].

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use http::{HeaderMap, Request, Response};
use tonic::Status;
use uuid::Uuid;

use super::context::{Principal, RequestContext, Role};
use super::keys::KeySet;
use super::mesh::MeshKey;
use super::permissions::{Access, PermissionTable, role_allows};
use super::{INTERNAL_SERVICE_HEADER, INTERNAL_TOKEN_HEADER};

/// Returns whether `path` belongs to the health or reflection services, the only methods
/// callable without credentials by design.
pub fn is_exempt(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.Health/")
        || path.starts_with("/grpc.reflection.v1.ServerReflection/")
        || path.starts_with("/grpc.reflection.v1alpha.ServerReflection/")
}

#[derive(Clone)]
struct CachedClaims {
    user: Uuid,
    org: Option<Uuid>,
    role: Option<Role>,
    commercial: Option<Uuid>,
    exp: i64,
}

/// Verifies credentials for one service and decides whether a call may proceed.
pub struct Authenticator {
    service: String,
    keys: Arc<KeySet>,
    mesh: MeshKey,
    table: PermissionTable,
    // Verifying an Ed25519 signature costs tens of microseconds; the same token is sent
    // on every call of a session, so verified claims are kept until the token expires.
    cache: quick_cache::sync::Cache<String, CachedClaims>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Authenticator {
    /// Returns an authenticator for `service` (its short name, the audience of internal
    /// tokens addressed to it).
    pub fn new(
        service: impl Into<String>,
        keys: Arc<KeySet>,
        mesh: MeshKey,
        table: PermissionTable,
        cache_size: usize,
    ) -> Self {
        Self {
            service: service.into(),
            keys,
            mesh,
            table,
            cache: quick_cache::sync::Cache::new(cache_size.max(16)),
        }
    }

    /// Returns the permission table.
    pub fn table(&self) -> &PermissionTable {
        &self.table
    }

    /// Returns the context of a call to `path` with `headers`, or the status refusing it.
    pub async fn authenticate(
        &self,
        path: &str,
        headers: &HeaderMap,
    ) -> Result<RequestContext, Status> {
        // A method missing from the table cannot exist (the server refuses to start), so
        // an unknown path is a request for something else: it still needs a user.
        let access = self.table.get(path).unwrap_or(Access::Authenticated);
        let deadline = grpc_timeout(headers).map(|d| Instant::now() + d);
        let traceparent = headers
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);

        if let Some(caller) = headers.get(INTERNAL_SERVICE_HEADER) {
            let caller = caller
                .to_str()
                .map_err(|_| Status::unauthenticated("invalid internal caller"))?;
            let token = headers
                .get(INTERNAL_TOKEN_HEADER)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| Status::unauthenticated("internal call without a token"))?;
            let claims = self
                .mesh
                .verify(token, caller, &self.service)
                .map_err(|_| Status::unauthenticated("invalid internal token"))?;
            // Services of the mesh are trusted with every method; the user they act for
            // travels in the context so row-level rules still apply.
            return Ok(RequestContext {
                principal: Principal::Service {
                    name: claims.iss,
                    on_behalf_of: claims.sub.as_deref().and_then(|s| Uuid::parse_str(s).ok()),
                },
                organisation_id: claims.org.as_deref().and_then(|s| Uuid::parse_str(s).ok()),
                role: claims.role,
                commercial_id: claims.cid.as_deref().and_then(|s| Uuid::parse_str(s).ok()),
                deadline,
                traceparent,
            });
        }

        let bearer = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            });
        let claims = match bearer {
            Some(token) => match self.verify(token).await {
                Ok(claims) => Some(claims),
                Err(status) if access != Access::Public => return Err(status),
                Err(_) => None,
            },
            None if access == Access::Public => None,
            None => return Err(Status::unauthenticated("missing bearer token")),
        };
        let ctx = match claims {
            Some(c) => RequestContext {
                principal: Principal::User { user_id: c.user },
                organisation_id: c.org,
                role: c.role,
                commercial_id: c.commercial,
                deadline,
                traceparent,
            },
            None => RequestContext {
                deadline,
                traceparent,
                ..RequestContext::anonymous()
            },
        };
        authorise(access, &ctx)?;
        Ok(ctx)
    }

    async fn verify(&self, token: &str) -> Result<CachedClaims, Status> {
        let now = now_secs();
        if let Some(hit) = self.cache.get(token)
            && hit.exp > now
        {
            return Ok(hit);
        }
        let claims = self
            .keys
            .verify(token)
            .await
            .map_err(|e| Status::unauthenticated(e.to_string()))?;
        let user =
            Uuid::parse_str(&claims.sub).map_err(|_| Status::unauthenticated("invalid subject"))?;
        let org = match claims.org.as_deref() {
            Some(o) => Some(
                Uuid::parse_str(o).map_err(|_| Status::unauthenticated("invalid organisation"))?,
            ),
            None => None,
        };
        let cached = CachedClaims {
            user,
            org,
            role: claims.role,
            commercial: claims.cid.as_deref().and_then(|s| Uuid::parse_str(s).ok()),
            exp: claims.exp,
        };
        self.cache.insert(token.to_owned(), cached.clone());
        Ok(cached)
    }
}

/// Checks `access` against a user's context.
fn authorise(access: Access, ctx: &RequestContext) -> Result<(), Status> {
    match access {
        Access::Public | Access::Authenticated => Ok(()),
        Access::Internal => Err(Status::permission_denied(
            "this method is for services of the mesh",
        )),
        Access::Org { action, .. } => {
            if ctx.organisation_id.is_none() {
                return Err(Status::permission_denied(
                    "the token is not scoped to an organisation",
                ));
            }
            match ctx.role {
                Some(role) if role_allows(role, action) => Ok(()),
                _ => Err(Status::permission_denied("the role does not allow this")),
            }
        }
    }
}

/// Parses a `grpc-timeout` header ("100m", "5S", ...).
pub fn grpc_timeout(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n.checked_mul(3600)?),
        "M" => Duration::from_secs(n.checked_mul(60)?),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

/// Tower layer applying an [`Authenticator`].
#[derive(Clone)]
pub struct AuthLayer {
    auth: Arc<Authenticator>,
}

impl AuthLayer {
    /// Returns the layer.
    pub fn new(auth: Arc<Authenticator>) -> Self {
        Self { auth }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            auth: self.auth.clone(),
        }
    }
}

/// The service produced by [`AuthLayer`].
#[derive(Clone)]
pub struct AuthService<S> {
    inner: S,
    auth: Arc<Authenticator>,
}

impl<S, B, ResBody> tower::Service<Request<B>> for AuthService<S>
where
    S: tower::Service<Request<B>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        // The clone is the one that was not polled ready; swap so the ready one is used.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if is_exempt(req.uri().path()) {
            return Box::pin(inner.call(req));
        }
        let auth = self.auth.clone();
        Box::pin(async move {
            match auth.authenticate(req.uri().path(), req.headers()).await {
                Ok(ctx) => {
                    req.extensions_mut().insert(ctx);
                    inner.call(req).await
                }
                Err(status) => Ok(status.into_http()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::tokens::{AccessClaims, TokenSigner};

    const SVC: &str = "crm.clients.v1.ClientService";

    fn setup() -> (Authenticator, TokenSigner, MeshKey) {
        let (signer, _) = TokenSigner::generate().expect("key");
        let keys = Arc::new(KeySet::new(
            vec![(signer.kid().to_owned(), signer.public_key())],
            None,
        ));
        let mesh = MeshKey::new(&[1u8; 32]).expect("mesh");
        let table = PermissionTable::new(&[
            (SVC, "GetClient", Access::read("clients")),
            (SVC, "CreateClient", Access::write("clients")),
            (SVC, "ListClients", Access::Public),
            (SVC, "ArchiveClient", Access::Internal),
        ]);
        (
            Authenticator::new("clients", keys, mesh.clone(), table, 100),
            signer,
            mesh,
        )
    }

    fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().expect("header value"));
        }
        h
    }

    fn path(m: &str) -> String {
        format!("/{SVC}/{m}")
    }

    #[tokio::test]
    async fn a_user_token_gives_its_context() {
        let (auth, signer, _) = setup();
        let (user, org) = (Uuid::now_v7(), Uuid::now_v7());
        let token = signer
            .sign(&AccessClaims::new(
                user,
                Some(org),
                Some(Role::Agent),
                now_secs(),
            ))
            .expect("sign");
        let h = headers(&[("authorization", format!("Bearer {token}"))]);
        let ctx = auth
            .authenticate(&path("GetClient"), &h)
            .await
            .expect("allowed");
        assert_eq!(ctx.principal, Principal::User { user_id: user });
        assert_eq!(ctx.organisation_id, Some(org));
        // Served from the cache the second time, with the same answer.
        let again = auth
            .authenticate(&path("GetClient"), &h)
            .await
            .expect("allowed");
        assert_eq!(again.organisation_id, Some(org));
    }

    #[tokio::test]
    async fn no_token_is_unauthenticated_except_on_public_methods() {
        let (auth, _, _) = setup();
        let err = auth
            .authenticate(&path("GetClient"), &HeaderMap::new())
            .await
            .expect_err("no token");
        assert_eq!(err.code(), tonic::Code::Unauthenticated);
        let ctx = auth
            .authenticate(&path("ListClients"), &HeaderMap::new())
            .await
            .expect("public");
        assert_eq!(ctx.principal, Principal::Anonymous);
    }

    #[tokio::test]
    async fn a_viewer_may_read_but_not_write() {
        let (auth, signer, _) = setup();
        let token = signer
            .sign(&AccessClaims::new(
                Uuid::now_v7(),
                Some(Uuid::now_v7()),
                Some(Role::Viewer),
                now_secs(),
            ))
            .expect("sign");
        let h = headers(&[("authorization", format!("Bearer {token}"))]);
        assert!(auth.authenticate(&path("GetClient"), &h).await.is_ok());
        let err = auth
            .authenticate(&path("CreateClient"), &h)
            .await
            .expect_err("viewer");
        assert_eq!(err.code(), tonic::Code::PermissionDenied);
        let err = auth
            .authenticate(&path("ArchiveClient"), &h)
            .await
            .expect_err("internal only");
        assert_eq!(err.code(), tonic::Code::PermissionDenied);
    }

    #[tokio::test]
    async fn a_token_without_organisation_cannot_touch_tenant_data() {
        let (auth, signer, _) = setup();
        let token = signer
            .sign(&AccessClaims::new(Uuid::now_v7(), None, None, now_secs()))
            .expect("sign");
        let h = headers(&[("authorization", format!("Bearer {token}"))]);
        let err = auth
            .authenticate(&path("GetClient"), &h)
            .await
            .expect_err("no org");
        assert_eq!(err.code(), tonic::Code::PermissionDenied);
    }

    #[tokio::test]
    async fn internal_calls_need_a_valid_token_for_this_service() {
        let (auth, _, mesh) = setup();
        let org = Uuid::now_v7();
        // A bare header grants nothing.
        let bare = headers(&[(INTERNAL_SERVICE_HEADER, "contrats".into())]);
        let err = auth
            .authenticate(&path("GetClient"), &bare)
            .await
            .expect_err("bare");
        assert_eq!(err.code(), tonic::Code::Unauthenticated);
        // Nor does the bare header on a public method.
        let err = auth
            .authenticate(&path("ListClients"), &bare)
            .await
            .expect_err("bare");
        assert_eq!(err.code(), tonic::Code::Unauthenticated);

        let good = mesh
            .mint("contrats", "clients", Some(org), None, None, now_secs())
            .expect("mint");
        let h = headers(&[
            (INTERNAL_SERVICE_HEADER, "contrats".into()),
            (INTERNAL_TOKEN_HEADER, good.clone()),
        ]);
        let ctx = auth
            .authenticate(&path("ArchiveClient"), &h)
            .await
            .expect("internal");
        assert_eq!(ctx.calling_service(), Some("contrats"));
        assert_eq!(ctx.organisation_id, Some(org));

        // A token for another audience.
        let other = mesh
            .mint("contrats", "payments", Some(org), None, None, now_secs())
            .expect("mint");
        let h = headers(&[
            (INTERNAL_SERVICE_HEADER, "contrats".into()),
            (INTERNAL_TOKEN_HEADER, other),
        ]);
        let err = auth
            .authenticate(&path("GetClient"), &h)
            .await
            .expect_err("audience");
        assert_eq!(err.code(), tonic::Code::Unauthenticated);

        // An expired token.
        let expired = mesh
            .mint(
                "contrats",
                "clients",
                Some(org),
                None,
                None,
                now_secs() - 3600,
            )
            .expect("mint");
        let h = headers(&[
            (INTERNAL_SERVICE_HEADER, "contrats".into()),
            (INTERNAL_TOKEN_HEADER, expired),
        ]);
        let err = auth
            .authenticate(&path("GetClient"), &h)
            .await
            .expect_err("expired");
        assert_eq!(err.code(), tonic::Code::Unauthenticated);

        // A header naming another caller than the token's issuer.
        let h = headers(&[
            (INTERNAL_SERVICE_HEADER, "payments".into()),
            (INTERNAL_TOKEN_HEADER, good),
        ]);
        let err = auth
            .authenticate(&path("GetClient"), &h)
            .await
            .expect_err("issuer");
        assert_eq!(err.code(), tonic::Code::Unauthenticated);
    }

    #[test]
    fn grpc_timeouts_parse() {
        let h = headers(&[("grpc-timeout", "250m".into())]);
        assert_eq!(grpc_timeout(&h), Some(Duration::from_millis(250)));
        let h = headers(&[("grpc-timeout", "3S".into())]);
        assert_eq!(grpc_timeout(&h), Some(Duration::from_secs(3)));
        let h = headers(&[("grpc-timeout", "x".into())]);
        assert_eq!(grpc_timeout(&h), None);
    }
}
