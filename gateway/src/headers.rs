//! What travels from an HTTP request to a service call: the bearer token, the request
//! id, trace context, allow-listed headers and `Grpc-Metadata-*` ones, the client
//! address, and the deadline. Every `x-internal-*` header is dropped, however it is
//! spelt, so a caller outside the mesh can never pass for a service inside it.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};

/// The request id header, kept when the client sends a sane one and returned.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// The header whose value becomes the request's `request_id` field.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
const GRPC_METADATA_PREFIX: &str = "grpc-metadata-";

/// Returns whether a header must never leave the edge towards a service.
pub fn is_internal(name: &str) -> bool {
    let name = name.strip_prefix(GRPC_METADATA_PREFIX).unwrap_or(name);
    name.len() >= 11 && name[..11].eq_ignore_ascii_case("x-internal-")
}

/// Removes every `x-internal-*` header (and `Grpc-Metadata-X-Internal-*`).
pub fn strip_internal(headers: &mut HeaderMap) {
    let internal: Vec<HeaderName> = headers
        .keys()
        .filter(|k| is_internal(k.as_str()))
        .cloned()
        .collect();
    for name in internal {
        headers.remove(name);
    }
}

/// Returns the client's request id when it is usable, or a new UUIDv7.
pub fn request_id(headers: &HeaderMap) -> HeaderValue {
    match headers.get(&REQUEST_ID) {
        Some(v)
            if !v.is_empty()
                && v.len() <= 128
                && v.as_bytes().iter().all(|b| b.is_ascii_graphic()) =>
        {
            v.clone()
        }
        _ => HeaderValue::from_str(&uuid::Uuid::now_v7().to_string())
            .unwrap_or_else(|_| HeaderValue::from_static("invalid")),
    }
}

/// Returns the address of the client: the first `X-Forwarded-For` entry when the edge
/// trusts its proxy, else the peer.
pub fn client_ip(headers: &HeaderMap, peer: Option<SocketAddr>, trust_forwarded: bool) -> IpAddr {
    if trust_forwarded
        && let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return ip;
    }
    peer.map_or(IpAddr::from([0, 0, 0, 0]), |p| p.ip())
}

/// Returns the deadline of a call: the client's `Grpc-Timeout` (capped at `max`) or
/// `default`.
pub fn deadline(headers: &HeaderMap, default: Duration, max: Duration) -> Duration {
    crm_kit::auth::layer::grpc_timeout(headers).map_or(default, |d| d.min(max))
}

/// Builds the metadata of the call to a service from the HTTP request's headers.
pub fn metadata(
    headers: &HeaderMap,
    allow: &[HeaderName],
    request_id: &HeaderValue,
    client: IpAddr,
) -> HeaderMap {
    let mut out = HeaderMap::with_capacity(8);
    if let Some(auth) = headers.get(http::header::AUTHORIZATION) {
        out.insert(http::header::AUTHORIZATION, auth.clone());
    }
    out.insert(REQUEST_ID, request_id.clone());
    for name in allow {
        for value in headers.get_all(name) {
            out.append(name.clone(), value.clone());
        }
    }
    for (name, value) in headers {
        if let Some(key) = name.as_str().strip_prefix(GRPC_METADATA_PREFIX)
            && !is_internal(key)
            && let Ok(key) = HeaderName::from_bytes(key.as_bytes())
            && !is_reserved(&key)
        {
            out.append(key, value.clone());
        }
    }
    let mut forwarded = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .map(|v| format!("{v}, {client}"))
        .unwrap_or_else(|| client.to_string());
    if forwarded.len() > 1024 {
        forwarded = client.to_string();
    }
    if let Ok(v) = HeaderValue::from_str(&forwarded) {
        out.insert("x-forwarded-for", v);
    }
    if let Some(host) = headers.get(http::header::HOST) {
        out.insert("x-forwarded-host", host.clone());
    }
    out
}

/// Headers a client may not set through `Grpc-Metadata-*`: gRPC's own.
fn is_reserved(name: &HeaderName) -> bool {
    let n = name.as_str();
    n.starts_with("grpc-") || n == "te" || n == "content-type" || n == "authorization"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).expect("name"),
                HeaderValue::from_str(v).expect("value"),
            );
        }
        h
    }

    #[test]
    fn internal_headers_never_travel() {
        let mut h = map(&[
            ("x-internal-service", "users"),
            ("X-Internal-Token", "t"),
            ("grpc-metadata-x-internal-service", "users"),
            ("authorization", "Bearer a"),
        ]);
        let md = metadata(
            &h,
            &[],
            &HeaderValue::from_static("r"),
            [127, 0, 0, 1].into(),
        );
        assert!(
            md.keys().all(|k| !k.as_str().contains("internal")),
            "{md:?}"
        );
        strip_internal(&mut h);
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn allow_listed_and_grpc_metadata_headers_travel() {
        let h = map(&[
            ("accept-language", "fr"),
            ("cookie", "secret"),
            ("grpc-metadata-tenant-hint", "x"),
            ("grpc-metadata-grpc-timeout", "1S"),
            ("x-forwarded-for", "10.0.0.9"),
        ]);
        let allow = [HeaderName::from_static("accept-language")];
        let md = metadata(
            &h,
            &allow,
            &HeaderValue::from_static("r1"),
            [10, 0, 0, 1].into(),
        );
        assert_eq!(md["accept-language"], "fr");
        assert_eq!(md["tenant-hint"], "x");
        assert_eq!(md["x-request-id"], "r1");
        assert_eq!(md["x-forwarded-for"], "10.0.0.9, 10.0.0.1");
        assert!(md.get("cookie").is_none());
        assert!(md.get("grpc-timeout").is_none());
    }

    #[test]
    fn request_ids_are_kept_or_made() {
        assert_eq!(request_id(&map(&[("x-request-id", "abc")])), "abc");
        let made = request_id(&map(&[("x-request-id", "has space")]));
        assert_eq!(made.len(), 36);
        let long = "a".repeat(200);
        assert_ne!(request_id(&map(&[("x-request-id", &long)])), long.as_str());
    }

    #[test]
    fn deadlines_come_from_grpc_timeout_within_the_cap() {
        let d = Duration::from_secs(30);
        let max = Duration::from_secs(60);
        assert_eq!(deadline(&map(&[]), d, max), d);
        assert_eq!(
            deadline(&map(&[("grpc-timeout", "250m")]), d, max),
            Duration::from_millis(250)
        );
        assert_eq!(deadline(&map(&[("grpc-timeout", "2H")]), d, max), max);
    }

    #[test]
    fn client_ip_uses_forwarded_for_only_when_trusted() {
        let h = map(&[("x-forwarded-for", "203.0.113.7, 10.0.0.1")]);
        let peer: SocketAddr = "10.0.0.1:5000".parse().expect("addr");
        assert_eq!(client_ip(&h, Some(peer), false), peer.ip());
        assert_eq!(
            client_ip(&h, Some(peer), true),
            "203.0.113.7".parse::<IpAddr>().expect("ip")
        );
    }
}
