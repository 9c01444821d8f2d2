//! Half-open intervals of instants `[start, end)` and the set operations availability
//! is made of: merge, subtract, intersect, and cutting slots out of free time.

use chrono::{DateTime, Duration, TimeDelta, Utc};

/// A span of time from `start` (included) to `end` (excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval {
    /// Start.
    pub start: DateTime<Utc>,
    /// End, after start.
    pub end: DateTime<Utc>,
}

impl Interval {
    /// Returns `[start, end)`, or `None` when it is empty.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>) -> Option<Self> {
        (start < end).then_some(Self { start, end })
    }

    /// Returns the part of the interval inside `window`, if any.
    pub fn clip(self, window: Interval) -> Option<Self> {
        Self::new(self.start.max(window.start), self.end.min(window.end))
    }
}

/// Returns the intervals sorted, with overlapping and touching ones joined.
pub fn merge(mut intervals: Vec<Interval>) -> Vec<Interval> {
    intervals.sort_unstable();
    let mut out: Vec<Interval> = Vec::with_capacity(intervals.len());
    for next in intervals {
        match out.last_mut() {
            Some(last) if next.start <= last.end => last.end = last.end.max(next.end),
            _ => out.push(next),
        }
    }
    out
}

/// Returns the parts of `base` not covered by `remove`; both must be merged.
pub fn subtract(base: &[Interval], remove: &[Interval]) -> Vec<Interval> {
    let mut out = Vec::new();
    let mut r = 0;
    for b in base {
        let mut start = b.start;
        // Intervals of `remove` ending before this one starts cannot touch later ones.
        while r < remove.len() && remove[r].end <= start {
            r += 1;
        }
        let mut i = r;
        while i < remove.len() && remove[i].start < b.end {
            if let Some(free) = Interval::new(start, remove[i].start) {
                out.push(free);
            }
            start = start.max(remove[i].end);
            i += 1;
        }
        if let Some(free) = Interval::new(start, b.end) {
            out.push(free);
        }
    }
    out
}

/// Returns the time covered by both `a` and `b`; both must be merged.
pub fn intersect(a: &[Interval], b: &[Interval]) -> Vec<Interval> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() && j < b.len() {
        if let Some(both) = Interval::new(a[i].start.max(b[j].start), a[i].end.min(b[j].end)) {
            out.push(both);
        }
        if a[i].end <= b[j].end {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// Returns up to `max` slots of `duration` inside the merged intervals `free`, starting on
/// multiples of `granularity` counted from the Unix epoch (midnight UTC), earliest
/// first. Consecutive slots overlap when `granularity` is shorter than `duration`.
pub fn slots(
    free: &[Interval],
    duration: Duration,
    granularity: Duration,
    max: usize,
) -> Vec<Interval> {
    let mut out = Vec::new();
    let step = granularity.num_seconds().max(1);
    for f in free {
        let floor = f.start.timestamp().div_euclid(step) * step;
        let Some(mut start) = DateTime::from_timestamp(floor, 0) else {
            continue;
        };
        if start < f.start {
            start += TimeDelta::seconds(step);
        }
        while out.len() < max {
            let end = start + duration;
            if end > f.end {
                break;
            }
            out.push(Interval { start, end });
            start += TimeDelta::seconds(step);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(minute: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_774_000_000 / 3600 * 3600 + minute * 60, 0).expect("instant")
    }

    fn iv(a: i64, b: i64) -> Interval {
        Interval::new(at(a), at(b)).expect("non-empty")
    }

    #[test]
    fn merging_joins_overlaps_and_touching_intervals() {
        let merged = merge(vec![iv(50, 60), iv(0, 10), iv(5, 20), iv(20, 30)]);
        assert_eq!(merged, [iv(0, 30), iv(50, 60)]);
    }

    #[test]
    fn subtracting_busy_time_leaves_the_gaps() {
        let base = [iv(0, 100), iv(200, 300)];
        let busy = merge(vec![iv(10, 20), iv(90, 210), iv(250, 260), iv(400, 500)]);
        assert_eq!(
            subtract(&base, &busy),
            [iv(0, 10), iv(20, 90), iv(210, 250), iv(260, 300)]
        );
    }

    #[test]
    fn intersecting_keeps_shared_time() {
        let a = [iv(0, 100), iv(200, 300)];
        let b = [iv(50, 250)];
        assert_eq!(intersect(&a, &b), [iv(50, 100), iv(200, 250)]);
    }

    #[test]
    fn slots_are_aligned_and_fit() {
        // Free from minute 7 to 70: 30-minute slots on the quarter hours.
        let free = [iv(7, 70)];
        let got = slots(&free, Duration::minutes(30), Duration::minutes(15), 10);
        assert_eq!(got, [iv(15, 45), iv(30, 60)]);
        let one = slots(&free, Duration::minutes(30), Duration::minutes(15), 1);
        assert_eq!(one, [iv(15, 45)]);
        assert!(
            slots(
                &[iv(0, 20)],
                Duration::minutes(30),
                Duration::minutes(15),
                5
            )
            .is_empty()
        );
    }

    fn intervals() -> impl Strategy<Value = Vec<Interval>> {
        prop::collection::vec((0i64..500, 1i64..60), 0..12)
            .prop_map(|v| v.into_iter().map(|(s, len)| iv(s, s + len)).collect())
    }

    fn covers(set: &[Interval], minute: i64) -> bool {
        set.iter()
            .any(|i| i.start <= at(minute) && at(minute) < i.end)
    }

    proptest! {
        /// Minute by minute, the operations are the set operations they claim to be.
        #[test]
        fn operations_match_set_semantics(a in intervals(), b in intervals()) {
            let (a, b) = (merge(a), merge(b));
            let diff = subtract(&a, &b);
            let both = intersect(&a, &b);
            for m in 0..600 {
                prop_assert_eq!(covers(&diff, m), covers(&a, m) && !covers(&b, m));
                prop_assert_eq!(covers(&both, m), covers(&a, m) && covers(&b, m));
            }
            prop_assert!(diff.windows(2).all(|w| w[0].end <= w[1].start));
            prop_assert!(both.windows(2).all(|w| w[0].end <= w[1].start));
        }
    }
}
