//! Invitation tokens: 32 random bytes shown once to the inviter, of which only the
//! SHA-256 is stored, so a database leak does not let anyone join an organisation.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

use crate::error::Error;

/// Length of a token's text: 32 bytes in unpadded base64url.
const TOKEN_LEN: usize = 43;

/// A new token and the hash stored in its place.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The secret, base64url: sent to the invitee, never stored.
    pub token: String,
    /// Lowercase hex SHA-256 of `token`.
    pub hash: String,
}

/// Returns a new random token.
pub fn issue() -> Result<IssuedToken, Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::Internal(anyhow::anyhow!("no randomness for a token: {e}")))?;
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash(&token);
    Ok(IssuedToken { token, hash })
}

/// Returns the lowercase hex SHA-256 of a token's text.
pub fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Returns whether `text` has the shape of a token this service issues.
pub fn is_well_formed(text: &str) -> bool {
    text.len() == TOKEN_LEN
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_well_formed_and_hashed() {
        let a = issue().expect("token");
        let b = issue().expect("token");
        assert_ne!(a.token, b.token);
        assert!(is_well_formed(&a.token));
        assert_eq!(a.hash, hash(&a.token));
        assert_eq!(a.hash.len(), 64);
        assert_ne!(a.hash, a.token);
    }

    #[test]
    fn sha256_matches_a_known_vector() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn malformed_tokens_are_recognised() {
        assert!(!is_well_formed(""));
        assert!(!is_well_formed("short"));
        assert!(!is_well_formed(&"a".repeat(42)));
        assert!(!is_well_formed(&format!("{}+", "a".repeat(42))));
        assert!(is_well_formed(&"a".repeat(43)));
    }
}
