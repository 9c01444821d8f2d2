//! Time-based one-time passwords (RFC 6238): SHA-1, six digits, 30-second steps, one
//! step of clock skew either way. A step once accepted is never accepted again, so an
//! overheard code cannot be replayed.

use subtle::ConstantTimeEq as _;
use totp_rs::{Algorithm, Secret, TOTP};

/// Seconds per step.
pub const STEP: u64 = 30;
/// Steps accepted before and after the current one.
pub const SKEW: u64 = 1;
/// Digits per code.
pub const DIGITS: usize = 6;
/// Issuer shown by authenticator apps.
pub const ISSUER: &str = "CRM";

/// Why a TOTP secret is unusable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unusable totp secret: {0}")]
pub struct TotpError(String);

fn totp(secret: &[u8]) -> Result<TOTP, TotpError> {
    TOTP::new(Algorithm::SHA1, DIGITS, SKEW as u8, STEP, secret.to_vec())
        .map_err(|e| TotpError(e.to_string()))
}

/// Returns a new random 160-bit secret (RFC 4226's recommended size).
pub fn generate_secret() -> Result<Vec<u8>, TotpError> {
    Secret::generate_secret()
        .to_bytes()
        .map_err(|e| TotpError(e.to_string()))
}

/// Returns the secret in base32 without padding, for typing into an app.
pub fn base32(secret: &[u8]) -> Result<String, TotpError> {
    Ok(totp(secret)?.get_secret_base32())
}

/// Returns the `otpauth://` URL apps scan, for the account `email`.
pub fn otpauth_url(secret: &[u8], email: &str) -> Result<String, TotpError> {
    let secret = base32(secret)?;
    Ok(format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={STEP}",
        issuer = percent_encode(ISSUER),
        account = percent_encode(email),
    ))
}

/// Returns the step of `code` when it is valid at `now` (seconds since the epoch) and
/// later than `last_step`, the last step accepted.
pub fn verify(
    secret: &[u8],
    code: &str,
    now: u64,
    last_step: Option<i64>,
) -> Result<Option<i64>, TotpError> {
    let totp = totp(secret)?;
    let current = now / STEP;
    let first = current.saturating_sub(SKEW);
    for step in first..=current + SKEW {
        let expected = totp.generate(step * STEP);
        let Ok(step) = i64::try_from(step) else {
            continue;
        };
        let matches: bool = expected.as_bytes().ct_eq(code.as_bytes()).into();
        if matches && last_step.is_none_or(|last| step > last) {
            return Ok(Some(step));
        }
    }
    Ok(None)
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B, SHA-1 seed "12345678901234567890", truncated to 6 digits.
    const SEED: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_6238_vectors_verify() {
        assert_eq!(verify(SEED, "287082", 59, None), Ok(Some(1)));
        assert_eq!(
            verify(SEED, "081804", 1_111_111_109, None),
            Ok(Some(37_037_036))
        );
        assert_eq!(
            verify(SEED, "050471", 1_111_111_111, None),
            Ok(Some(37_037_037))
        );
    }

    #[test]
    fn one_step_of_skew_is_accepted_not_two() {
        let t = 1_111_111_109;
        let secret = SEED;
        let code_at = |time: u64| totp(secret).expect("totp").generate(time);
        assert!(
            verify(secret, &code_at(t - 30), t, None)
                .expect("ok")
                .is_some()
        );
        assert!(
            verify(secret, &code_at(t + 30), t, None)
                .expect("ok")
                .is_some()
        );
        assert_eq!(verify(secret, &code_at(t - 90), t, None), Ok(None));
        assert_eq!(verify(secret, &code_at(t + 90), t, None), Ok(None));
        assert_eq!(verify(secret, "000000x", t, None), Ok(None));
    }

    #[test]
    fn a_step_is_accepted_once() {
        let t = 1_111_111_109;
        let step = verify(SEED, "081804", t, None).expect("ok");
        assert_eq!(verify(SEED, "081804", t, step), Ok(None));
        let next = totp(SEED).expect("totp").generate(t + 30);
        assert_eq!(verify(SEED, &next, t, step), Ok(step.map(|s| s + 1)));
    }

    #[test]
    fn secrets_are_160_bits_and_urls_name_the_account() {
        let secret = generate_secret().expect("secret");
        assert_eq!(secret.len(), 20);
        assert_ne!(generate_secret().ok(), Some(secret.clone()));
        let b32 = base32(&secret).expect("base32");
        assert_eq!(b32.len(), 32);
        let url = otpauth_url(&secret, "ada+x@example.com").expect("url");
        assert_eq!(
            url,
            format!(
                "otpauth://totp/CRM:ada%2Bx%40example.com?secret={b32}&issuer=CRM&algorithm=SHA1&digits=6&period=30"
            )
        );
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(verify(b"short", "123456", 0, None).is_err());
    }
}
