//! Debtor IBANs at rest: AES-256-GCM with a random 96-bit nonce per value and the
//! organisation and mandate ids as associated data, so a sealed IBAN copied onto another
//! mandate's row does not open. Only the masked form is ever shown.

use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use uuid::Uuid;

use crate::config::IbanKey;

/// Prefix of the stored form, naming the scheme so it can change later.
const PREFIX: &str = "v1.";
const NONCE_LEN: usize = 12;

/// Why an IBAN could not be sealed or opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    /// The operating system gave no randomness for the nonce.
    #[error("no randomness for the nonce")]
    Random,
    /// The stored form is not one this version writes.
    #[error("malformed sealed iban")]
    Malformed,
    /// Encryption failed, or decryption did (wrong key, wrong owner, tampered data).
    #[error("cannot seal or open the iban")]
    Crypto,
}

/// Seals and opens IBANs under the service's key.
#[derive(Clone)]
pub struct Vault {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Vault(redacted)")
    }
}

/// Returns the associated data binding a sealed IBAN to its mandate.
fn owner(organisation_id: Uuid, mandate_id: Uuid) -> [u8; 32] {
    let mut aad = [0u8; 32];
    aad[..16].copy_from_slice(organisation_id.as_bytes());
    aad[16..].copy_from_slice(mandate_id.as_bytes());
    aad
}

impl Vault {
    /// Returns the vault of `key`.
    pub fn new(key: &IbanKey) -> Self {
        Self {
            cipher: Aes256Gcm::new(key.bytes().into()),
        }
    }

    /// Returns `iban` sealed for the mandate, as text to store.
    pub fn seal(
        &self,
        iban: &str,
        organisation_id: Uuid,
        mandate_id: Uuid,
    ) -> Result<String, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| SealError::Random)?;
        let aad = owner(organisation_id, mandate_id);
        let sealed = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: iban.as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Crypto)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// Returns the IBAN sealed in `stored` for the mandate.
    pub fn open(
        &self,
        stored: &str,
        organisation_id: Uuid,
        mandate_id: Uuid,
    ) -> Result<String, SealError> {
        let bytes = stored
            .strip_prefix(PREFIX)
            .and_then(|b| URL_SAFE_NO_PAD.decode(b).ok())
            .ok_or(SealError::Malformed)?;
        if bytes.len() <= NONCE_LEN {
            return Err(SealError::Malformed);
        }
        let (nonce, sealed) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::Malformed)?;
        let aad = owner(organisation_id, mandate_id);
        let plain = self
            .cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: &aad,
                },
            )
            .map_err(|_| SealError::Crypto)?;
        String::from_utf8(plain).map_err(|_| SealError::Malformed)
    }
}

/// Returns a valid IBAN masked for display in groups of four: country and check digits
/// and the last four characters kept, as in `FR76 **** **** **** **** ***0 189`.
pub fn display_masked(iban: &str) -> String {
    let masked = crm_shared::validate::mask_iban(iban);
    let mut out = String::with_capacity(masked.len() + masked.len() / 4);
    for (i, c) in masked.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault(byte: u8) -> Vault {
        Vault::new(&IbanKey::from_bytes([byte; 32]))
    }

    const IBAN: &str = "FR7630006000011234567890189";

    #[test]
    fn a_sealed_iban_opens_for_its_mandate_only() {
        let (org, mandate) = (Uuid::now_v7(), Uuid::now_v7());
        let stored = vault(3).seal(IBAN, org, mandate).expect("seal");
        assert!(stored.starts_with("v1."));
        assert!(!stored.contains("30006"));
        assert_eq!(vault(3).open(&stored, org, mandate).expect("open"), IBAN);
        assert_eq!(
            vault(3).open(&stored, org, Uuid::now_v7()),
            Err(SealError::Crypto)
        );
        assert_eq!(vault(4).open(&stored, org, mandate), Err(SealError::Crypto));
        assert_eq!(
            vault(3).open("v0.abc", org, mandate),
            Err(SealError::Malformed)
        );
    }

    #[test]
    fn each_sealing_uses_a_new_nonce() {
        let (org, mandate) = (Uuid::now_v7(), Uuid::now_v7());
        assert_ne!(
            vault(1).seal(IBAN, org, mandate).ok(),
            vault(1).seal(IBAN, org, mandate).ok()
        );
    }

    #[test]
    fn masking_keeps_country_check_digits_and_the_last_four() {
        assert_eq!(display_masked(IBAN), "FR76 **** **** **** **** ***0 189");
        assert_eq!(
            display_masked("DE89370400440532013000"),
            "DE89 **** **** **** **30 00"
        );
    }
}
