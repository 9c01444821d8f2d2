//! The public keys that verify access tokens, by `kid`, refreshed from the users
//! service's JWKS when a token names a key not seen yet.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::future::BoxFuture;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use super::tokens::{AUDIENCE, AccessClaims, ISSUER};

/// Fetches the current public keys as (kid, raw Ed25519 public key) pairs.
pub type JwksSource =
    Arc<dyn Fn() -> BoxFuture<'static, Result<Vec<(String, [u8; 32])>, String>> + Send + Sync>;

/// Why a token was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    /// Not a JWT, or no `kid` in its header.
    #[error("malformed token")]
    Malformed,
    /// The `kid` names no known key, even after a refresh.
    #[error("unknown signing key")]
    UnknownKey,
    /// Bad signature, expired, wrong issuer or audience.
    #[error("invalid token: {0}")]
    Invalid(String),
}

/// Ed25519 public keys by `kid`, with an optional source to refresh them from.
pub struct KeySet {
    keys: RwLock<HashMap<String, DecodingKey>>,
    source: Option<JwksSource>,
    last_refresh: tokio::sync::Mutex<Option<Instant>>,
    validation: Validation,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<String> = self
            .keys
            .read()
            .map(|k| k.keys().cloned().collect())
            .unwrap_or_default();
        f.debug_struct("KeySet")
            .field("kids", &kids)
            .finish_non_exhaustive()
    }
}

/// Refreshes happen at most this often, so a flood of tokens with made-up `kid`s cannot
/// turn into a flood of calls to the users service.
const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(5);

impl KeySet {
    /// Returns a key set holding `keys` and, when given, refreshing from `source`.
    pub fn new(keys: Vec<(String, [u8; 32])>, source: Option<JwksSource>) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 30;
        let set = Self {
            keys: RwLock::new(HashMap::new()),
            source,
            last_refresh: tokio::sync::Mutex::new(None),
            validation,
        };
        set.insert(keys);
        set
    }

    /// Adds keys to the set.
    pub fn insert(&self, keys: Vec<(String, [u8; 32])>) {
        if let Ok(mut map) = self.keys.write() {
            for (kid, public) in keys {
                map.insert(kid, DecodingKey::from_ed_der(&public));
            }
        }
    }

    /// Returns the number of keys known.
    pub fn len(&self) -> usize {
        self.keys.read().map(|k| k.len()).unwrap_or(0)
    }

    /// Returns whether no key is known.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Returns the claims of `token` once its signature, expiry, issuer and audience check.
    pub async fn verify(&self, token: &str) -> Result<AccessClaims, VerifyError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| VerifyError::Malformed)?;
        let kid = header.kid.ok_or(VerifyError::Malformed)?;
        if let Some(result) = self.verify_with_known(&kid, token) {
            return result;
        }
        self.refresh().await;
        self.verify_with_known(&kid, token)
            .unwrap_or(Err(VerifyError::UnknownKey))
    }

    fn verify_with_known(
        &self,
        kid: &str,
        token: &str,
    ) -> Option<Result<AccessClaims, VerifyError>> {
        let keys = self.keys.read().ok()?;
        let key = keys.get(kid)?;
        Some(
            jsonwebtoken::decode::<AccessClaims>(token, key, &self.validation)
                .map(|data| data.claims)
                .map_err(|e| VerifyError::Invalid(e.to_string())),
        )
    }

    async fn refresh(&self) {
        let Some(source) = &self.source else { return };
        let mut last = self.last_refresh.lock().await;
        if last.is_some_and(|at| at.elapsed() < MIN_REFRESH_INTERVAL) {
            return;
        }
        *last = Some(Instant::now());
        match source().await {
            Ok(keys) => self.insert(keys),
            Err(error) => tracing::warn!(%error, "cannot refresh the public keys"),
        }
    }
}

/// Returns the raw public key of a JWK `x` value (base64url, no padding).
pub fn decode_jwk_x(x: &str) -> Option<[u8; 32]> {
    URL_SAFE_NO_PAD.decode(x).ok()?.try_into().ok()
}

/// Returns a source that fetches the keys from the users service's `GetJwks` at `endpoint`
/// (for example `http://127.0.0.1:50067`).
pub fn grpc_jwks_source(endpoint: String) -> JwksSource {
    Arc::new(move || {
        let endpoint = endpoint.clone();
        Box::pin(async move {
            use crm_proto::users::v1::{GetJwksRequest, user_service_client::UserServiceClient};
            let mut client = UserServiceClient::connect(endpoint)
                .await
                .map_err(|e| e.to_string())?;
            let keys = client
                .get_jwks(GetJwksRequest {})
                .await
                .map_err(|e| e.to_string())?
                .into_inner()
                .keys;
            Ok(keys
                .into_iter()
                .filter(|k| k.kty == "OKP" && k.crv == "Ed25519")
                .filter_map(|k| decode_jwk_x(&k.x).map(|x| (k.kid, x)))
                .collect())
        })
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use uuid::Uuid;

    use super::*;
    use crate::auth::context::Role;
    use crate::auth::tokens::TokenSigner;

    fn now() -> i64 {
        chrono_now()
    }

    fn chrono_now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }

    #[tokio::test]
    async fn a_signed_token_verifies_and_a_tampered_one_does_not() {
        let (signer, _) = TokenSigner::generate().expect("key");
        let keys = KeySet::new(vec![(signer.kid().to_owned(), signer.public_key())], None);
        let claims = AccessClaims::new(
            Uuid::now_v7(),
            Some(Uuid::now_v7()),
            Some(Role::Agent),
            now(),
        );
        let token = signer.sign(&claims).expect("sign");
        assert_eq!(keys.verify(&token).await, Ok(claims));

        let mut tampered = token.clone();
        tampered.pop();
        tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert!(matches!(
            keys.verify(&tampered).await,
            Err(VerifyError::Invalid(_))
        ));
        assert_eq!(keys.verify("not a jwt").await, Err(VerifyError::Malformed));
    }

    #[tokio::test]
    async fn an_expired_token_is_refused() {
        let (signer, _) = TokenSigner::generate().expect("key");
        let keys = KeySet::new(vec![(signer.kid().to_owned(), signer.public_key())], None);
        let claims = AccessClaims::new(Uuid::now_v7(), None, None, now() - 3600);
        let token = signer.sign(&claims).expect("sign");
        assert!(matches!(
            keys.verify(&token).await,
            Err(VerifyError::Invalid(_))
        ));
    }

    #[tokio::test]
    async fn an_unknown_kid_triggers_one_refresh() {
        let (signer, _) = TokenSigner::generate().expect("key");
        let calls = Arc::new(AtomicUsize::new(0));
        let published = (signer.kid().to_owned(), signer.public_key());
        let counter = calls.clone();
        let source: JwksSource = Arc::new(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            let published = published.clone();
            Box::pin(async move { Ok(vec![published]) })
        });
        let keys = KeySet::new(vec![], Some(source));
        let token = signer
            .sign(&AccessClaims::new(Uuid::now_v7(), None, None, now()))
            .expect("sign");
        assert!(keys.verify(&token).await.is_ok());
        assert!(keys.verify(&token).await.is_ok());
        assert_eq!(calls.load(Ordering::SeqCst), 1);

        let (stranger, _) = TokenSigner::generate().expect("key");
        let foreign = stranger
            .sign(&AccessClaims::new(Uuid::now_v7(), None, None, now()))
            .expect("sign");
        assert_eq!(keys.verify(&foreign).await, Err(VerifyError::UnknownKey));
        // The refresh interval has not passed: no second call for the unknown key.
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
