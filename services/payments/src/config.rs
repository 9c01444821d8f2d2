//! The service's own settings: the `[payments]` table of the platform configuration
//! (`CRM_PAYMENTS__IBAN_KEY=<base64 of 32 bytes>`).
//!
//! The IBAN key encrypts the debtors' IBANs at rest. It has no default on purpose: a
//! key generated at start and then lost makes every stored IBAN unreadable, so the
//! standalone service refuses to start without one. The embedded platform (`crm up`)
//! generates it once and keeps it in its data directory, and tests hand one to
//! [`crate::build_with`] directly.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use crm_kit::config::Secret;
use serde::{Deserialize, Serialize};

/// Length of the IBAN key, in bytes (AES-256).
pub const IBAN_KEY_LEN: usize = 32;

/// The `[payments]` table.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PaymentsConfig {
    /// Base64 (standard or URL-safe, padded or not) of the 32-byte key encrypting
    /// debtor IBANs; required.
    pub iban_key: Option<Secret>,
}

/// The key encrypting debtor IBANs.
#[derive(Clone)]
pub struct IbanKey([u8; IBAN_KEY_LEN]);

impl std::fmt::Debug for IbanKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IbanKey([redacted])")
    }
}

impl IbanKey {
    /// Returns the key of these 32 bytes.
    pub fn from_bytes(bytes: [u8; IBAN_KEY_LEN]) -> Self {
        Self(bytes)
    }

    /// Returns the key written in base64 in `text`.
    pub fn from_base64(text: &str) -> anyhow::Result<Self> {
        let text = text.trim();
        let bytes = STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
            .map_err(|_| anyhow::anyhow!("payments.iban_key is not base64"))?;
        let bytes: [u8; IBAN_KEY_LEN] = bytes.try_into().map_err(|b: Vec<u8>| {
            anyhow::anyhow!(
                "payments.iban_key must decode to {IBAN_KEY_LEN} bytes, not {}",
                b.len()
            )
        })?;
        Ok(Self(bytes))
    }

    /// Returns the key's bytes, for the cipher.
    pub fn bytes(&self) -> &[u8; IBAN_KEY_LEN] {
        &self.0
    }
}

impl PaymentsConfig {
    /// Loads the `[payments]` table from the platform's configuration sources (defaults
    /// when absent).
    pub fn load() -> anyhow::Result<Self> {
        match crm_kit::config::KitConfig::figment().extract_inner::<Self>("payments") {
            Ok(config) => Ok(config),
            Err(e) if e.missing() => Ok(Self::default()),
            Err(e) => anyhow::bail!("invalid payments configuration: {e}"),
        }
    }

    /// Returns the IBAN key, or an error saying how to provide it.
    pub fn iban_key(&self) -> anyhow::Result<IbanKey> {
        match &self.iban_key {
            Some(secret) => IbanKey::from_base64(secret.expose()),
            None => anyhow::bail!(
                "the payments service needs payments.iban_key (CRM_PAYMENTS__IBAN_KEY): the \
                 base64 of 32 random bytes, kept for as long as the stored IBANs"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_decode_from_either_base64_alphabet() {
        let bytes = [0xfbu8; 32];
        let standard = STANDARD.encode(bytes);
        let url = URL_SAFE_NO_PAD.encode(bytes);
        assert_eq!(
            IbanKey::from_base64(&standard).expect("std").bytes(),
            &bytes
        );
        assert_eq!(IbanKey::from_base64(&url).expect("url").bytes(), &bytes);
    }

    #[test]
    fn a_key_of_the_wrong_length_or_alphabet_is_refused() {
        assert!(IbanKey::from_base64(&STANDARD.encode([1u8; 16])).is_err());
        assert!(IbanKey::from_base64("not base64 at all!").is_err());
        let missing = PaymentsConfig::default().iban_key();
        assert!(
            missing
                .expect_err("no key")
                .to_string()
                .contains("CRM_PAYMENTS__IBAN_KEY")
        );
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn the_key_comes_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CRM_PAYMENTS__IBAN_KEY", STANDARD.encode([7u8; 32]));
            let config = PaymentsConfig::load().map_err(|e| e.to_string())?;
            let key = config.iban_key().map_err(|e| e.to_string())?;
            assert_eq!(key.bytes(), &[7u8; 32]);
            assert!(!format!("{config:?}").contains(&STANDARD.encode([7u8; 32])));
            Ok(())
        });
    }
}
