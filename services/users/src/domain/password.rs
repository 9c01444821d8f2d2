//! Password hashing with argon2id (the argon2 crate's default parameters: 19 MiB, two
//! passes, one lane, as OWASP recommends), stored as PHC strings.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// The operating system gave no randomness for the salt.
    #[error("no randomness for the salt: {0}")]
    Random(String),
    /// argon2 refused its input.
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// Returns the argon2id PHC string of `password` with a fresh random salt.
pub fn hash(password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| HashError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError::Hash(e.to_string()))
}

/// Returns whether `password` matches the PHC string `stored`. A malformed stored hash
/// matches nothing.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Returns the hash of a random password, verified against when the e-mail is unknown or
/// the account locked so those answers take as long as a wrong password.
pub fn dummy_hash() -> Result<String, HashError> {
    let mut secret = [0u8; 24];
    getrandom::fill(&mut secret).map_err(|e| HashError::Random(e.to_string()))?;
    let text: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    hash(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let stored = hash("correct horse battery").expect("hash");
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse batterz", &stored));
        assert!(!verify("correct horse battery", "not a phc string"));
    }

    #[test]
    fn salts_differ() {
        assert_ne!(hash("same password!").ok(), hash("same password!").ok());
    }
}
