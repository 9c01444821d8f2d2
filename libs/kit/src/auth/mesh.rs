//! Internal-service tokens: short-lived JWTs signed with the mesh key (HMAC-SHA256), whose
//! audience is the target service and which carry the organisation and user the caller
//! acts for.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::context::Role;

/// Lifetime of an internal token. Short, because it is minted per call.
pub const INTERNAL_TOKEN_TTL_SECS: i64 = 60;

/// The claims of an internal token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InternalClaims {
    /// The calling service.
    pub iss: String,
    /// The target service.
    pub aud: String,
    /// The user the call acts for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The organisation the call acts in, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// The role of the user the call acts for, if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// The sales-agent record of the user the call acts for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid: Option<String>,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issue time, seconds since the epoch.
    pub iat: i64,
}

/// The shared secret every service of the mesh signs and checks internal tokens with.
#[derive(Clone)]
pub struct MeshKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for MeshKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MeshKey(redacted)")
    }
}

/// Why an internal token was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid internal token: {0}")]
pub struct MeshError(String);

impl MeshKey {
    /// Returns a mesh key from a secret of at least 32 bytes.
    pub fn new(secret: &[u8]) -> Result<Self, MeshError> {
        if secret.len() < 32 {
            return Err(MeshError("the mesh key must be at least 32 bytes".into()));
        }
        Ok(Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        })
    }

    /// Returns a token from `caller` to `target`, acting for `user` in `org`.
    pub fn mint(
        &self,
        caller: &str,
        target: &str,
        org: Option<Uuid>,
        user: Option<Uuid>,
        role: Option<Role>,
        now: i64,
    ) -> Result<String, MeshError> {
        self.mint_with_commercial(caller, target, org, user, role, None, now)
    }

    /// Returns a token like [`MeshKey::mint`] that also carries the user's sales-agent
    /// record, so row-level rules hold across services.
    #[allow(clippy::too_many_arguments)]
    pub fn mint_with_commercial(
        &self,
        caller: &str,
        target: &str,
        org: Option<Uuid>,
        user: Option<Uuid>,
        role: Option<Role>,
        commercial: Option<Uuid>,
        now: i64,
    ) -> Result<String, MeshError> {
        let claims = InternalClaims {
            iss: caller.to_owned(),
            aud: target.to_owned(),
            sub: user.map(|u| u.to_string()),
            org: org.map(|o| o.to_string()),
            role,
            cid: commercial.map(|c| c.to_string()),
            exp: now + INTERNAL_TOKEN_TTL_SECS,
            iat: now,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| MeshError(e.to_string()))
    }

    /// Returns the claims of `token` if it is signed with this key, unexpired, addressed
    /// to `target` and issued by `caller`.
    pub fn verify(
        &self,
        token: &str,
        caller: &str,
        target: &str,
    ) -> Result<InternalClaims, MeshError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[target]);
        validation.set_issuer(&[caller]);
        validation.set_required_spec_claims(&["exp", "aud", "iss"]);
        // Internal tokens live a minute; a long leeway would defeat that.
        validation.leeway = 5;
        jsonwebtoken::decode::<InternalClaims>(token, &self.decoding, &validation)
            .map(|d| d.claims)
            .map_err(|e| MeshError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }

    fn key() -> MeshKey {
        MeshKey::new(&[7u8; 32]).expect("key")
    }

    #[test]
    fn a_token_for_the_target_verifies() {
        let org = Uuid::now_v7();
        let token = key()
            .mint("users", "organisations", Some(org), None, None, now())
            .expect("mint");
        let claims = key()
            .verify(&token, "users", "organisations")
            .expect("valid");
        assert_eq!(claims.org, Some(org.to_string()));
    }

    #[test]
    fn another_audience_another_caller_or_an_expired_token_is_refused() {
        let k = key();
        let token = k
            .mint("users", "organisations", None, None, None, now())
            .expect("mint");
        assert!(k.verify(&token, "users", "clients").is_err());
        assert!(k.verify(&token, "clients", "organisations").is_err());
        let old = k
            .mint("users", "organisations", None, None, None, now() - 600)
            .expect("mint");
        assert!(k.verify(&old, "users", "organisations").is_err());
        let other = MeshKey::new(&[8u8; 32]).expect("key");
        assert!(other.verify(&token, "users", "organisations").is_err());
    }

    #[test]
    fn a_short_secret_is_refused() {
        assert!(MeshKey::new(b"short").is_err());
    }
}
