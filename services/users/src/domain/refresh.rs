//! Refresh tokens: 32 random bytes, base64url without padding, handed out once and
//! stored only as their SHA-256, so a copy of the database cannot sign anybody in.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use sha2::{Digest as _, Sha256};

/// Lifetime of a refresh token.
pub fn ttl() -> Duration {
    Duration::days(30)
}

/// Why a refresh token could not be made.
#[derive(Debug, thiserror::Error)]
#[error("no randomness for a refresh token: {0}")]
pub struct RandomError(String);

/// Returns a new token and the hash to store.
pub fn generate() -> Result<(String, String), RandomError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| RandomError(e.to_string()))?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash(&token);
    Ok((token, hash))
}

/// Returns whether `token` has the shape of a refresh token (32 bytes in base64url).
pub fn is_well_formed(token: &str) -> bool {
    token.len() == 43
        && URL_SAFE_NO_PAD
            .decode(token)
            .is_ok_and(|bytes| bytes.len() == 32)
}

/// Returns the lowercase hex SHA-256 of a token, the only form stored.
pub fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_well_formed_and_hashed() {
        let (token, stored) = generate().expect("token");
        let (other, _) = generate().expect("token");
        assert_ne!(token, other);
        assert!(is_well_formed(&token));
        assert_eq!(stored, hash(&token));
        assert_eq!(stored.len(), 64);
        assert!(!stored.contains(&token));
    }

    #[test]
    fn malformed_tokens_are_recognised() {
        assert!(!is_well_formed(""));
        assert!(!is_well_formed("abc"));
        assert!(!is_well_formed(&"!".repeat(43)));
        assert!(!is_well_formed(&"A".repeat(44)));
    }

    #[test]
    fn hashes_are_sha256_hex() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
