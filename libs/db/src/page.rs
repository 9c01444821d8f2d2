//! Opaque keyset page tokens and page-size rules shared by every List method.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Page size used when a request asks for none.
pub const DEFAULT_PAGE_SIZE: u64 = 50;
/// Largest page a request may ask for; larger requests are capped, as AIP-158 advises.
pub const MAX_PAGE_SIZE: u64 = 200;

/// Why a page request is wrong.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PageError {
    /// A negative page size.
    #[error("must not be negative")]
    NegativeSize,
    /// A token this service did not issue, or issued for other filters.
    #[error("not a page token issued for this request")]
    BadToken,
}

/// Returns the page size for a requested one: the default for 0, capped at the maximum.
pub fn page_size(requested: i32) -> Result<u64, PageError> {
    match requested {
        n if n < 0 => Err(PageError::NegativeSize),
        0 => Ok(DEFAULT_PAGE_SIZE),
        n => Ok((n as u64).min(MAX_PAGE_SIZE)),
    }
}

/// Where the next page starts: after the row `after`, under the request's filters, whose
/// fingerprint the token carries so that changing filters between pages is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageToken {
    /// The id of the last row of the previous page (UUIDv7, so ordered by creation).
    #[serde(rename = "a")]
    pub after: Uuid,
    /// A fingerprint of the filters the token was issued for.
    #[serde(rename = "f")]
    pub filters: u64,
}

impl PageToken {
    /// Returns the opaque text form of the token.
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Returns the token of `text`, checking it was issued for the filters `filters`;
    /// `None` for an empty text (the first page).
    pub fn decode(text: &str, filters: u64) -> Result<Option<Self>, PageError> {
        if text.is_empty() {
            return Ok(None);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| PageError::BadToken)?;
        let token: PageToken = serde_json::from_slice(&bytes).map_err(|_| PageError::BadToken)?;
        if token.filters != filters {
            return Err(PageError::BadToken);
        }
        Ok(Some(token))
    }
}

/// Returns a stable fingerprint of a request's filters (FNV-1a over their text form), so
/// a token issued for one set of filters is refused for another.
pub fn fingerprint(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0x1f)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_default_and_cap() {
        assert_eq!(page_size(0), Ok(DEFAULT_PAGE_SIZE));
        assert_eq!(page_size(10), Ok(10));
        assert_eq!(page_size(10_000), Ok(MAX_PAGE_SIZE));
        assert_eq!(page_size(-1), Err(PageError::NegativeSize));
    }

    #[test]
    fn tokens_round_trip_and_bind_their_filters() {
        let f = fingerprint(&["active", "vip"]);
        let token = PageToken {
            after: Uuid::now_v7(),
            filters: f,
        };
        let text = token.encode();
        assert_eq!(PageToken::decode(&text, f), Ok(Some(token)));
        assert_eq!(PageToken::decode("", f), Ok(None));
        assert_eq!(
            PageToken::decode(&text, fingerprint(&["prospect", "vip"])),
            Err(PageError::BadToken)
        );
        assert_eq!(PageToken::decode("%%%", f), Err(PageError::BadToken));
    }

    #[test]
    fn fingerprints_separate_fields() {
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
    }
}
