//! Keyset pages. Global data sets are small and read whole (their version is computed
//! from the same read), so their pages are cut from the sorted rows after the last key
//! of the previous page; value lists are paged in SQL on (position, code). Both use one
//! opaque cursor bound to the request's filters.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// Page size of global lists when none is asked: every data set fits in one page.
pub const GLOBAL_DEFAULT_PAGE_SIZE: usize = 250;
/// Largest page of a global list.
pub const GLOBAL_MAX_PAGE_SIZE: usize = 1000;
/// Page size of value lists when none is asked.
pub const VALUES_DEFAULT_PAGE_SIZE: usize = 100;
/// Largest page of a value list: a whole list (see [`super::lists::MAX_VALUES_PER_LIST`]).
pub const VALUES_MAX_PAGE_SIZE: usize = 500;

/// Returns the page size for `requested`: `default` for 0, capped at `max` (AIP-158),
/// or why it is refused.
pub fn size(requested: i32, default: usize, max: usize) -> Result<usize, &'static str> {
    match requested {
        n if n < 0 => Err("must not be negative"),
        0 => Ok(default),
        n => Ok(usize::try_from(n).unwrap_or(max).min(max)),
    }
}

/// Where the next page starts: after the row with `key` (and `position`, for value
/// lists), under the filters whose fingerprint is `filters`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Key of the last row of the previous page.
    #[serde(rename = "k")]
    pub key: String,
    /// Position of that row (value lists; 0 elsewhere).
    #[serde(rename = "p", default)]
    pub position: i64,
    /// Fingerprint of the filters the cursor was issued for.
    #[serde(rename = "f")]
    pub filters: u64,
}

impl Cursor {
    /// Returns the opaque text form.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Returns the cursor of `text` if it was issued for `filters`; `None` for an empty
    /// text (the first page).
    pub fn decode(text: &str, filters: u64) -> Result<Option<Self>, &'static str> {
        const BAD: &str = "is not a page token issued for this request";
        if text.is_empty() {
            return Ok(None);
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| BAD)?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| BAD)?;
        if cursor.filters != filters {
            return Err(BAD);
        }
        Ok(Some(cursor))
    }
}

/// Returns the page of `rows` (sorted by `key`, keys unique) that follows `after`, at
/// most `size` long, with the key to continue after when more rows follow.
pub fn cut<T>(
    rows: Vec<T>,
    key: impl Fn(&T) -> String,
    after: Option<&str>,
    size: usize,
) -> (Vec<T>, Option<String>) {
    let mut rest = rows
        .into_iter()
        .filter(|r| after.is_none_or(|a| key(r).as_str() > a));
    let page: Vec<T> = rest.by_ref().take(size).collect();
    let more = rest.next().is_some();
    let next = if more { page.last().map(&key) } else { None };
    (page, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_default_and_cap() {
        assert_eq!(size(0, 250, 1000), Ok(250));
        assert_eq!(size(3, 250, 1000), Ok(3));
        assert_eq!(size(5000, 250, 1000), Ok(1000));
        assert!(size(-1, 250, 1000).is_err());
    }

    #[test]
    fn pages_walk_every_row_once() {
        let rows: Vec<String> = ["AT", "BE", "DE", "FR", "IT"].map(String::from).to_vec();
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let (page, next) = cut(rows.clone(), Clone::clone, after.as_deref(), 2);
            assert!(page.len() <= 2);
            seen.extend(page);
            match next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        assert_eq!(seen, rows);
        let (page, next) = cut(rows.clone(), Clone::clone, None, 5);
        assert_eq!(
            (page.len(), next),
            (5, None),
            "an exact fit has no next page"
        );
    }

    #[test]
    fn cursors_round_trip_and_bind_their_filters() {
        let c = Cursor {
            key: "FR".into(),
            position: 3,
            filters: 42,
        };
        let text = c.encode();
        assert_eq!(Cursor::decode(&text, 42), Ok(Some(c)));
        assert!(Cursor::decode(&text, 43).is_err());
        assert_eq!(Cursor::decode("", 42), Ok(None));
        assert!(Cursor::decode("%%", 42).is_err());
        assert!(Cursor::decode("bm9wZQ", 42).is_err());
    }
}
