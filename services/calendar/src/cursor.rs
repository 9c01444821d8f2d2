//! Keyset page tokens for lists ordered by something other than the id: events by
//! start time, closed days by date. `crm_db::PageToken` holds only an id, which would
//! order events by creation; this token adds the sort key of the last row, so the next
//! page starts exactly after it even if rows were added or moved meanwhile.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use crm_db::PageError;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where the next page starts: after the row with sort key `key` and id `after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The sort key of the last row of the previous page (microseconds since the epoch
    /// for events, days since 1 January of year 1 for closed days).
    #[serde(rename = "k")]
    pub key: i64,
    /// The id of that row, the tie-breaker.
    #[serde(rename = "a")]
    pub after: Uuid,
    /// A fingerprint of the filters the token was issued for.
    #[serde(rename = "f")]
    pub filters: u64,
}

impl Cursor {
    /// Returns the opaque text form.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Returns the cursor of `text` issued for `filters`; `None` for the first page.
    pub fn decode(text: &str, filters: u64) -> Result<Option<Self>, PageError> {
        if text.is_empty() {
            return Ok(None);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| PageError::BadToken)?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| PageError::BadToken)?;
        if cursor.filters != filters {
            return Err(PageError::BadToken);
        }
        Ok(Some(cursor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_bind_their_filters() {
        let c = Cursor {
            key: 1_774_000_000_000_000,
            after: Uuid::now_v7(),
            filters: 7,
        };
        assert_eq!(Cursor::decode(&c.encode(), 7), Ok(Some(c)));
        assert_eq!(Cursor::decode("", 7), Ok(None));
        assert_eq!(Cursor::decode(&c.encode(), 8), Err(PageError::BadToken));
        assert_eq!(Cursor::decode("!!", 7), Err(PageError::BadToken));
    }
}
