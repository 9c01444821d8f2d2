//! The routes the edge serves without a token, in one place. Everything else needs a
//! valid bearer token before the edge calls a service.
//!
//! - the public RPCs of users: signing up, logging in, refreshing and ending a session
//!   (both carry the refresh token), the JWKS;
//! - `GET /.well-known/jwks.json`, the conventional address of the same keys.
//!
//! E-mail tracking (open pixel, click redirect) and provider webhooks join this list
//! when their services exist.

/// gRPC paths of the RPCs callable without a token.
pub const PUBLIC_RPCS: &[&str] = &[
    "/crm.users.v1.UserService/SignUp",
    "/crm.users.v1.UserService/Login",
    "/crm.users.v1.UserService/Refresh",
    "/crm.users.v1.UserService/Logout",
    "/crm.users.v1.UserService/GetJwks",
];

/// Extra public HTTP routes and the RPC each one serves.
pub const PUBLIC_ALIASES: &[(&str, &str)] = &[(
    "/.well-known/jwks.json",
    "/crm.users.v1.UserService/GetJwks",
)];

/// Returns whether the RPC at gRPC path `path` is public.
pub fn is_public(path: &str) -> bool {
    PUBLIC_RPCS.contains(&path)
}
