//! Access tokens: EdDSA JWTs issued by the users service and verified everywhere with the
//! public keys, looked up by `kid`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::context::Role;

/// Issuer of every access token.
pub const ISSUER: &str = "crm-users";
/// Audience of every access token.
pub const AUDIENCE: &str = "crm";
/// Lifetime of an access token: 15 minutes.
pub const ACCESS_TOKEN_TTL_SECS: i64 = 15 * 60;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    /// The user id.
    pub sub: String,
    /// The organisation the token acts in, when it is scoped to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// The user's role in that organisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// The sales-agent record linked to the membership, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cid: Option<String>,
    /// Always [`ISSUER`].
    pub iss: String,
    /// Always [`AUDIENCE`].
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issue time, seconds since the epoch.
    pub iat: i64,
    /// Unique token id.
    pub jti: String,
}

impl AccessClaims {
    /// Returns the claims with the membership's sales-agent record.
    pub fn with_commercial(mut self, commercial: Option<Uuid>) -> Self {
        self.cid = commercial.map(|c| c.to_string());
        self
    }

    /// Returns claims for `user` acting in `org` with `role`, valid from `now` (seconds
    /// since the epoch) for [`ACCESS_TOKEN_TTL_SECS`].
    pub fn new(user: Uuid, org: Option<Uuid>, role: Option<Role>, now: i64) -> Self {
        Self {
            sub: user.to_string(),
            org: org.map(|o| o.to_string()),
            role,
            cid: None,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            exp: now + ACCESS_TOKEN_TTL_SECS,
            iat: now,
            jti: Uuid::now_v7().to_string(),
        }
    }
}

/// Errors of key handling and token signing.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The private key could not be read.
    #[error("unreadable private key: {0}")]
    BadKey(String),
    /// Signing failed.
    #[error("cannot sign token: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
}

/// Signs access tokens with an Ed25519 private key identified by a `kid`.
#[derive(Clone)]
pub struct TokenSigner {
    kid: String,
    encoding: EncodingKey,
    public: [u8; 32],
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSigner")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl TokenSigner {
    /// Returns a signer for a new random key, with the key's PKCS#8 DER encoding so the
    /// caller can keep it.
    pub fn generate() -> Result<(Self, Vec<u8>), TokenError> {
        let key = SigningKey::generate(&mut rand_core::OsRng);
        let der = key
            .to_pkcs8_der()
            .map_err(|e| TokenError::BadKey(e.to_string()))?
            .as_bytes()
            .to_vec();
        Ok((Self::from_pkcs8_der(&der)?, der))
    }

    /// Returns a signer for a PKCS#8 DER-encoded Ed25519 private key.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, TokenError> {
        let key = SigningKey::from_pkcs8_der(der).map_err(|e| TokenError::BadKey(e.to_string()))?;
        let public = key.verifying_key().to_bytes();
        // The kid is derived from the public key so every process that loads the same
        // key names it the same way, with no registry of ids to keep.
        let kid = format!("ed25519-{}", &URL_SAFE_NO_PAD.encode(public)[..16]);
        Ok(Self {
            kid,
            encoding: EncodingKey::from_ed_der(der),
            public,
        })
    }

    /// Returns the key id written in every token's header.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Returns the raw 32-byte public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.public
    }

    /// Returns the public key as the base64url `x` of a JWK.
    pub fn public_x(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.public)
    }

    /// Returns a signed JWT carrying `claims`.
    pub fn sign(&self, claims: &AccessClaims) -> Result<String, TokenError> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &self.encoding)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_key_keeps_its_kid() {
        let (signer, der) = TokenSigner::generate().expect("generate");
        let again = TokenSigner::from_pkcs8_der(&der).expect("reload");
        assert_eq!(signer.kid(), again.kid());
        assert_eq!(signer.public_key(), again.public_key());
    }

    #[test]
    fn garbage_is_not_a_key() {
        assert!(TokenSigner::from_pkcs8_der(b"nope").is_err());
    }
}
