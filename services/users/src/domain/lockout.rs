//! Account lockout: 10 failed sign-in attempts within 15 minutes lock the account for 15
//! minutes. While locked every attempt gets the same answer as a wrong password, and is
//! not counted, so the lock does not extend itself.

use chrono::{DateTime, Duration, Utc};

/// Failures that lock the account.
pub const MAX_FAILURES: u64 = 10;
/// How far back failures count, in minutes.
pub const WINDOW_MINUTES: i64 = 15;
/// How long a lock lasts, in minutes.
pub const LOCK_MINUTES: i64 = 15;

/// Returns whether an account locked until `locked_until` is locked at `now`.
pub fn is_locked(locked_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    locked_until.is_some_and(|until| until > now)
}

/// Returns the earliest failure time still counted at `now`.
pub fn window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - Duration::minutes(WINDOW_MINUTES)
}

/// Returns when the lock ends if `failures` within the window (the one just recorded
/// included) lock the account at `now`.
pub fn lock_after(failures: u64, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    (failures >= MAX_FAILURES).then(|| now + Duration::minutes(LOCK_MINUTES))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tenth_failure_locks_for_fifteen_minutes() {
        let now = Utc::now();
        assert_eq!(lock_after(9, now), None);
        assert_eq!(lock_after(10, now), Some(now + Duration::minutes(15)));
        assert_eq!(lock_after(11, now), Some(now + Duration::minutes(15)));
    }

    #[test]
    fn a_lock_ends_on_time() {
        let now = Utc::now();
        assert!(!is_locked(None, now));
        assert!(is_locked(Some(now + Duration::seconds(1)), now));
        assert!(!is_locked(Some(now), now));
        assert!(!is_locked(Some(now - Duration::minutes(1)), now));
    }

    #[test]
    fn the_window_is_fifteen_minutes() {
        let now = Utc::now();
        assert_eq!(window_start(now), now - Duration::minutes(15));
    }
}
