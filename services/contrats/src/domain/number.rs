//! Contract numbers: `C-<year>-<sequence>`, the sequence counted per organisation and
//! year from 1, without gaps, at least 6 digits.

/// Returns the number of the `sequence`-th contract of `year`.
pub fn format(year: i32, sequence: i64) -> String {
    format!("C-{year}-{sequence:06}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_zero_padded_to_six_digits() {
        assert_eq!(format(2026, 42), "C-2026-000042");
        assert_eq!(format(2027, 1), "C-2027-000001");
        assert_eq!(format(2026, 1_234_567), "C-2026-1234567");
    }
}
