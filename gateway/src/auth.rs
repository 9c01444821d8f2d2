//! Token checks at the edge: a request to a route that is not public must carry a
//! valid bearer token before any service is called; the verified organisation keys the
//! per-organisation rate limit. The services verify the same token again, so the edge
//! grants nothing by itself.

use std::sync::Arc;

use crm_kit::auth::KeySet;
use http::HeaderMap;
use quick_cache::sync::Cache;
use sha2::{Digest as _, Sha256};

use crate::status::EdgeError;

/// What the edge learnt from a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The organisation the token acts in.
    pub organisation: Option<String>,
    /// Expiry, seconds since the epoch.
    pub expires: i64,
}

/// Verifies bearer tokens, remembering the ones already verified.
#[derive(Debug, Clone)]
pub struct EdgeAuth {
    keys: Arc<KeySet>,
    cache: Arc<Cache<[u8; 32], Caller>>,
}

impl EdgeAuth {
    /// Returns a checker verifying with `keys` and remembering `cache_size` tokens.
    pub fn new(keys: Arc<KeySet>, cache_size: usize) -> Self {
        Self {
            keys,
            cache: Arc::new(Cache::new(cache_size.max(16))),
        }
    }

    /// Returns the caller of a request: `None` without an `Authorization` header, an
    /// error for a header that is not a valid bearer token.
    pub async fn caller(&self, headers: &HeaderMap) -> Result<Option<Caller>, EdgeError> {
        let Some(value) = headers.get(http::header::AUTHORIZATION) else {
            return Ok(None);
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or_else(|| EdgeError::unauthenticated("authorization must be a bearer token"))?;
        let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let now = now_secs();
        if let Some(caller) = self.cache.get(&key)
            && caller.expires > now
        {
            return Ok(Some(caller));
        }
        let claims = self
            .keys
            .verify(token)
            .await
            .map_err(|e| EdgeError::unauthenticated(format!("invalid access token: {e}")))?;
        let caller = Caller {
            organisation: claims.org,
            expires: claims.exp,
        };
        self.cache.insert(key, caller.clone());
        Ok(Some(caller))
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
