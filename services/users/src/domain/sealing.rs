//! Secrets at rest (TOTP secrets): AES-256-GCM under a key derived from the service's
//! data key, with a random 96-bit nonce per sealing and the owner's id as associated
//! data, so a sealed secret copied onto another user's row does not open.

use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

/// Domain-separation label of the TOTP sealing key: another use of the same data key
/// derives another key.
const TOTP_LABEL: &[u8] = b"crm-users/totp-secret/v1";
/// Prefix of the stored form, naming the scheme so it can change later.
const PREFIX: &str = "v1.";
const NONCE_LEN: usize = 12;

/// Why a secret could not be sealed or opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    /// The operating system gave no randomness for the nonce.
    #[error("no randomness for the nonce")]
    Random,
    /// The stored form is not one this version writes.
    #[error("malformed sealed secret")]
    Malformed,
    /// Encryption failed, or decryption did (wrong key, wrong owner or tampered data).
    #[error("cannot seal or open the secret")]
    Crypto,
}

/// Seals and opens secrets under one derived key.
#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(redacted)")
    }
}

impl Sealer {
    /// Returns the sealer of TOTP secrets for the 32-byte `data_key`:
    /// AES key = SHA-256(label || data_key).
    pub fn for_totp(data_key: &[u8; 32]) -> Self {
        let key = Sha256::new()
            .chain_update(TOTP_LABEL)
            .chain_update(data_key)
            .finalize();
        Self {
            cipher: Aes256Gcm::new(&key),
        }
    }

    /// Returns `secret` sealed for `owner`, as text to store.
    pub fn seal(&self, secret: &[u8], owner: &[u8]) -> Result<String, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| SealError::Random)?;
        let sealed = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: secret,
                    aad: owner,
                },
            )
            .map_err(|_| SealError::Crypto)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// Returns the secret sealed in `stored` for `owner`.
    pub fn open(&self, stored: &str, owner: &[u8]) -> Result<Vec<u8>, SealError> {
        let bytes = stored
            .strip_prefix(PREFIX)
            .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok())
            .ok_or(SealError::Malformed)?;
        if bytes.len() <= NONCE_LEN {
            return Err(SealError::Malformed);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::Malformed)?;
        self.cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: owner,
                },
            )
            .map_err(|_| SealError::Crypto)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_for_its_owner_only() {
        let sealer = Sealer::for_totp(&[7u8; 32]);
        let stored = sealer
            .seal(b"twenty bytes secret!", b"user-1")
            .expect("seal");
        assert!(stored.starts_with("v1."));
        assert!(!stored.contains("twenty"));
        assert_eq!(
            sealer.open(&stored, b"user-1").expect("open"),
            b"twenty bytes secret!"
        );
        assert_eq!(sealer.open(&stored, b"user-2"), Err(SealError::Crypto));
    }

    #[test]
    fn another_key_or_tampering_does_not_open() {
        let sealer = Sealer::for_totp(&[7u8; 32]);
        let stored = sealer.seal(b"secret", b"u").expect("seal");
        assert_eq!(
            Sealer::for_totp(&[8u8; 32]).open(&stored, b"u"),
            Err(SealError::Crypto)
        );
        let mut tampered = stored.clone();
        let last = tampered.pop().expect("non-empty");
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        assert!(sealer.open(&tampered, b"u").is_err());
        assert_eq!(sealer.open("v0.abc", b"u"), Err(SealError::Malformed));
        assert_eq!(sealer.open("v1.", b"u"), Err(SealError::Malformed));
    }

    #[test]
    fn each_sealing_uses_a_new_nonce() {
        let sealer = Sealer::for_totp(&[1u8; 32]);
        assert_ne!(sealer.seal(b"s", b"u").ok(), sealer.seal(b"s", b"u").ok());
    }
}
