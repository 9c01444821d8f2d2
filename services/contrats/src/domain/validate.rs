//! Field rules of a contract's terms, each problem recorded as a (field, description)
//! pair so a request learns of all its mistakes at once.

use chrono::NaiveDate;
use uuid::Uuid;

use super::pricing::Problems;
use super::{Line, LineRequest, PaymentMethod, SalesChannel, Terms};

/// Most lines a contract may have.
pub const MAX_LINES: usize = 50;
/// Largest quantity of a line.
pub const MAX_QUANTITY: i32 = 9_999;
/// Longest term, in months (30 years).
pub const MAX_TERM_MONTHS: i32 = 360;
/// Latest billing day: 28, so every month has it.
pub const MAX_BILLING_DAY: i32 = 28;
/// Longest reason or signer name.
pub const MAX_TEXT: usize = 500;
/// Longest mandate reference (`MndtId`, Max35Text).
pub const MAX_MANDATE_REFERENCE: usize = 35;

/// The terms of a contract before its lines are priced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// The client.
    pub client_id: Uuid,
    /// The sales agent.
    pub commercial_id: Uuid,
    /// The lines asked for.
    pub lines: Vec<LineRequest>,
    /// First day.
    pub start_date: NaiveDate,
    /// Term in months.
    pub term_months: i32,
    /// Tacit renewal.
    pub tacit_renewal: bool,
    /// Billing day.
    pub billing_day: i32,
    /// Payment method.
    pub payment_method: PaymentMethod,
    /// SEPA mandate reference.
    pub mandate_reference: Option<String>,
    /// Sales channel.
    pub sales_channel: SalesChannel,
}

impl Draft {
    /// Returns the draft of stored terms.
    pub fn of(t: &Terms) -> Self {
        Self {
            client_id: t.client_id,
            commercial_id: t.commercial_id,
            lines: t
                .lines
                .iter()
                .map(|l| LineRequest {
                    product_id: l.product_id,
                    quantity: l.quantity,
                })
                .collect(),
            start_date: t.start_date,
            term_months: t.term_months,
            tacit_renewal: t.tacit_renewal,
            billing_day: t.billing_day,
            payment_method: t.payment_method,
            mandate_reference: t.mandate_reference.clone(),
            sales_channel: t.sales_channel,
        }
    }

    /// Returns the terms with `lines` priced.
    pub fn priced(self, lines: Vec<Line>) -> Terms {
        Terms {
            client_id: self.client_id,
            commercial_id: self.commercial_id,
            lines,
            start_date: self.start_date,
            term_months: self.term_months,
            tacit_renewal: self.tacit_renewal,
            billing_day: self.billing_day,
            payment_method: self.payment_method,
            mandate_reference: self.mandate_reference,
            sales_channel: self.sales_channel,
        }
    }
}

fn push(out: &mut Problems, field: impl Into<String>, description: impl Into<String>) {
    out.push((field.into(), description.into()));
}

/// Checks the lines at `prefix` (`None` entries had a malformed product id, already
/// reported): 1 to [`MAX_LINES`], quantities 1 to [`MAX_QUANTITY`], each product once.
pub fn lines(lines: &[(Option<Uuid>, i32)], prefix: &str, out: &mut Problems) -> Vec<LineRequest> {
    if lines.is_empty() {
        push(out, prefix, "at least one line is required");
    }
    if lines.len() > MAX_LINES {
        push(out, prefix, format!("at most {MAX_LINES} lines"));
    }
    let mut valid: Vec<LineRequest> = Vec::with_capacity(lines.len());
    for (i, (product, quantity)) in lines.iter().enumerate() {
        if !(1..=MAX_QUANTITY).contains(quantity) {
            push(
                out,
                format!("{prefix}[{i}].quantity"),
                format!("must be between 1 and {MAX_QUANTITY}"),
            );
        }
        let Some(product_id) = *product else { continue };
        if valid.iter().any(|l| l.product_id == product_id) {
            push(
                out,
                format!("{prefix}[{i}].product_id"),
                "the product is already on another line; raise its quantity instead",
            );
            continue;
        }
        valid.push(LineRequest {
            product_id,
            quantity: *quantity,
        });
    }
    valid
}

/// Checks a term in months.
pub fn term_months(n: i32, field: &str, out: &mut Problems) {
    if !(1..=MAX_TERM_MONTHS).contains(&n) {
        push(
            out,
            field,
            format!("must be between 1 and {MAX_TERM_MONTHS}"),
        );
    }
}

/// Checks a billing day.
pub fn billing_day(n: i32, field: &str, out: &mut Problems) {
    if !(1..=MAX_BILLING_DAY).contains(&n) {
        push(
            out,
            field,
            format!("must be between 1 and {MAX_BILLING_DAY}"),
        );
    }
}

/// Returns the mandate reference of `text` (`None` when empty), checking the SEPA rules
/// (1 to 35 characters of the SEPA set, no leading, trailing or double "/") and that only
/// a SEPA contract (`method`) has one.
pub fn mandate_reference(
    text: &str,
    method: Option<PaymentMethod>,
    field: &str,
    out: &mut Problems,
) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if method.is_some_and(|m| m != PaymentMethod::Sepa) {
        push(out, field, "only a SEPA contract has a mandate reference");
        return None;
    }
    if let Err(e) = crm_shared::validate::check_sepa_identifier(text, MAX_MANDATE_REFERENCE) {
        push(out, field, format!("is not a valid mandate reference: {e}"));
        return None;
    }
    Some(text.to_owned())
}

/// Returns the trimmed `text`, checking its length and, when `required`, presence.
pub fn text(text: &str, max: usize, required: bool, field: &str, out: &mut Problems) -> String {
    let text = text.trim();
    if required && text.is_empty() {
        push(out, field, "is required");
    } else if text.chars().count() > max {
        push(out, field, format!("must be at most {max} characters"));
    }
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_bounded_and_unique() {
        let a = Uuid::now_v7();
        let b = Uuid::now_v7();
        let mut out = Problems::new();
        let valid = lines(
            &[
                (Some(a), 1),
                (Some(b), 0),
                (Some(a), 2),
                (None, 1),
                (Some(b), 10_000),
            ],
            "contract.lines",
            &mut out,
        );
        let fields: Vec<&str> = out.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "contract.lines[1].quantity",
                "contract.lines[2].product_id",
                "contract.lines[4].quantity",
                "contract.lines[4].product_id"
            ]
        );
        assert_eq!(valid.len(), 2);
        let mut out = Problems::new();
        assert!(lines(&[], "lines", &mut out).is_empty());
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn numbers_have_ranges() {
        let mut out = Problems::new();
        for n in [1, 28] {
            billing_day(n, "billing_day", &mut out);
        }
        for n in [1, 360] {
            term_months(n, "term_months", &mut out);
        }
        assert!(out.is_empty());
        billing_day(0, "billing_day", &mut out);
        billing_day(29, "billing_day", &mut out);
        term_months(0, "term_months", &mut out);
        term_months(361, "term_months", &mut out);
        assert_eq!(out.len(), 4);
    }

    #[test]
    fn mandate_references_follow_the_sepa_rules() {
        let mut out = Problems::new();
        let sepa = Some(PaymentMethod::Sepa);
        assert_eq!(
            mandate_reference(" RUM-2026/001 ", sepa, "m", &mut out),
            Some("RUM-2026/001".into())
        );
        assert_eq!(mandate_reference("", sepa, "m", &mut out), None);
        assert!(out.is_empty());
        for bad in ["/RUM", "RUM//1", "RUM_1", &"X".repeat(36)] {
            assert_eq!(mandate_reference(bad, sepa, "m", &mut out), None, "{bad}");
        }
        assert_eq!(
            mandate_reference("RUM1", Some(PaymentMethod::Card), "m", &mut out),
            None
        );
        assert_eq!(out.len(), 5);
    }

    #[test]
    fn texts_are_trimmed_and_bounded() {
        let mut out = Problems::new();
        assert_eq!(text("  Jeanne  ", 10, true, "n", &mut out), "Jeanne");
        text(" ", 10, true, "n", &mut out);
        text("é".repeat(11).as_str(), 10, false, "n", &mut out);
        text("", 10, false, "n", &mut out);
        assert_eq!(out.len(), 2);
    }
}
