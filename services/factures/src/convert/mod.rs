//! Conversions between the protobuf messages and the domain: enums both ways, and
//! documents, lines, parties and amounts to their API form.

use crm_proto::common::v1 as common;
use crm_proto::factures::v1 as pb;

use crate::domain::vat::line_vat;
use crate::domain::{Address, Buyer, Invoice, Kind, Line, Seller, Status, VatSubtotal};
use crate::events::client_kind;

pub mod contract;
pub mod input;

pub use crm_kit::convert::{
    Violations, date_from_proto, date_to_proto, optional_uuid, timestamp, uuid_field,
};

/// Returns an amount of `currency`.
pub fn money(currency: &str, amount_minor: i64) -> common::Money {
    common::Money {
        currency_code: currency.to_owned(),
        amount_minor,
    }
}

/// Returns the status of a proto value (`None` for unspecified or unknown).
pub fn status_from_proto(value: i32) -> Option<Status> {
    match pb::InvoiceStatus::try_from(value).ok()? {
        pb::InvoiceStatus::Unspecified => None,
        pb::InvoiceStatus::Draft => Some(Status::Draft),
        pb::InvoiceStatus::Issued => Some(Status::Issued),
        pb::InvoiceStatus::PartiallyPaid => Some(Status::PartiallyPaid),
        pb::InvoiceStatus::Paid => Some(Status::Paid),
        pb::InvoiceStatus::Overdue => Some(Status::Overdue),
        pb::InvoiceStatus::WrittenOff => Some(Status::WrittenOff),
        pb::InvoiceStatus::CancelledByCreditNote => Some(Status::CancelledByCreditNote),
    }
}

/// Returns the proto value of a status.
pub fn status_to_proto(s: Status) -> pb::InvoiceStatus {
    match s {
        Status::Draft => pb::InvoiceStatus::Draft,
        Status::Issued => pb::InvoiceStatus::Issued,
        Status::PartiallyPaid => pb::InvoiceStatus::PartiallyPaid,
        Status::Paid => pb::InvoiceStatus::Paid,
        Status::Overdue => pb::InvoiceStatus::Overdue,
        Status::WrittenOff => pb::InvoiceStatus::WrittenOff,
        Status::CancelledByCreditNote => pb::InvoiceStatus::CancelledByCreditNote,
    }
}

/// Returns the kind of a proto value (`None` for unspecified or unknown).
pub fn kind_from_proto(value: i32) -> Option<Kind> {
    match pb::InvoiceKind::try_from(value).ok()? {
        pb::InvoiceKind::Unspecified => None,
        pb::InvoiceKind::Invoice => Some(Kind::Invoice),
        pb::InvoiceKind::CreditNote => Some(Kind::CreditNote),
    }
}

fn kind_to_proto(k: Kind) -> pb::InvoiceKind {
    match k {
        Kind::Invoice => pb::InvoiceKind::Invoice,
        Kind::CreditNote => pb::InvoiceKind::CreditNote,
    }
}

/// Returns the proto form of an address.
pub fn address_to_proto(a: &Address) -> common::Address {
    common::Address {
        line1: a.line1.clone(),
        line2: a.line2.clone(),
        postal_code: a.postal_code.clone(),
        city: a.city.clone(),
        region: a.region.clone(),
        country_code: a.country_code.clone(),
    }
}

/// Returns the address of its proto form.
pub fn address_from_proto(a: &common::Address) -> Address {
    Address {
        line1: a.line1.trim().to_owned(),
        line2: a.line2.trim().to_owned(),
        postal_code: a.postal_code.trim().to_owned(),
        city: a.city.trim().to_owned(),
        region: a.region.trim().to_owned(),
        country_code: a.country_code.trim().to_owned(),
    }
}

fn seller_to_proto(s: &Seller) -> pb::Seller {
    pb::Seller {
        legal_name: s.legal_name.clone(),
        siren: s.siren.clone(),
        vat_number: s.vat_number.clone(),
        address: Some(address_to_proto(&s.address)),
        legal_form: s.legal_form.clone(),
        share_capital: s.share_capital.clone(),
        rcs: s.rcs.clone(),
    }
}

fn buyer_to_proto(b: &Buyer) -> pb::Buyer {
    pb::Buyer {
        kind: client_kind(Some(b.kind)),
        name: b.name.clone(),
        address: Some(address_to_proto(&b.address)),
        siren: b.siren.clone(),
        siret: b.siret.clone(),
        vat_number: b.vat_number.clone(),
    }
}

/// Returns the proto form of a line.
pub fn line_to_proto(currency: &str, l: &Line) -> pb::InvoiceLine {
    pb::InvoiceLine {
        label: l.label.clone(),
        quantity: l.quantity,
        unit_price: Some(money(currency, l.unit_price)),
        vat_category: l.vat_category.key().to_owned(),
        vat_rate_basis_points: l.vat_rate_bps,
        net_amount: Some(money(currency, l.net())),
        vat_amount: Some(money(currency, line_vat(l))),
        service_period_start: l.service_period.map(|p| date_to_proto(p.start)),
        service_period_end: l.service_period.map(|p| date_to_proto(p.end)),
        product_id: l.product_id.map(|p| p.to_string()).unwrap_or_default(),
    }
}

fn subtotal_to_proto(currency: &str, s: &VatSubtotal) -> pb::VatSubtotal {
    pb::VatSubtotal {
        vat_category: s.category.key().to_owned(),
        rate_basis_points: s.rate_bps,
        taxable_amount: Some(money(currency, s.base)),
        vat_amount: Some(money(currency, s.vat)),
        exemption_reason: s.category.exemption_reason().unwrap_or_default().to_owned(),
    }
}

/// Returns the proto form of a document.
pub fn invoice_to_proto(i: &Invoice) -> pb::Invoice {
    let c = i.currency.as_str();
    let is = i.issued.as_ref();
    let m = is.map(|s| &s.mentions);
    pb::Invoice {
        id: i.id.to_string(),
        kind: kind_to_proto(i.kind) as i32,
        number: i.number().to_owned(),
        status: status_to_proto(i.status) as i32,
        client_id: i.client_id.to_string(),
        contract_id: i.contract_id.map(|x| x.to_string()).unwrap_or_default(),
        currency_code: c.to_owned(),
        lines: i.lines.iter().map(|l| line_to_proto(c, l)).collect(),
        service_period_start: i.service_period.map(|p| date_to_proto(p.start)),
        service_period_end: i.service_period.map(|p| date_to_proto(p.end)),
        issue_date: is.map(|s| date_to_proto(s.issue_date)),
        due_date: is.map(|s| date_to_proto(s.due_date)),
        payment_terms_days: is.map_or(0, |s| s.payment_terms_days),
        seller: is.map(|s| seller_to_proto(&s.seller)),
        buyer: is.map(|s| buyer_to_proto(&s.buyer)),
        vat_subtotals: is
            .map(|s| {
                s.subtotals
                    .iter()
                    .map(|v| subtotal_to_proto(c, v))
                    .collect()
            })
            .unwrap_or_default(),
        total_excl_vat: Some(money(
            c,
            is.map_or_else(|| i.net_total(), |s| s.totals.excl_vat),
        )),
        total_vat: is.map(|s| money(c, s.totals.vat)),
        total_incl_vat: is.map(|s| money(c, s.totals.incl_vat)),
        amount_paid: Some(money(c, i.amount_paid)),
        amount_credited: Some(money(c, i.amount_credited)),
        amount_due: Some(money(
            c,
            if i.kind == Kind::Invoice {
                i.amount_due()
            } else {
                0
            },
        )),
        late_penalty_rate_basis_points: is.and_then(|s| s.late_penalty_rate_bps).unwrap_or(0),
        mentions: m.map(|m| pb::LegalMentions {
            payment_terms: m.payment_terms.clone(),
            early_payment_discount: m.early_payment_discount.clone(),
            late_penalty: m.late_penalty.clone(),
            recovery_indemnity: m.recovery_indemnity.clone(),
            vat_exemptions: m.vat_exemptions.clone(),
            credited_invoice: m.credited_invoice.clone(),
        }),
        credited_invoice_id: i
            .credit_of
            .as_ref()
            .map(|o| o.invoice_id.to_string())
            .unwrap_or_default(),
        credited_invoice_number: i
            .credit_of
            .as_ref()
            .map(|o| o.invoice_number.clone())
            .unwrap_or_default(),
        credit_reason: i
            .credit_of
            .as_ref()
            .map(|o| o.reason.clone())
            .unwrap_or_default(),
        billing_period_start: i.billing_period_start.map(date_to_proto),
        write_off_reason: i.write_off_reason.clone().unwrap_or_default(),
        overdue_time: i.overdue_at.map(timestamp),
        paid_date: i.paid_date.map(date_to_proto),
        create_time: Some(timestamp(i.created_at)),
        update_time: Some(timestamp(i.updated_at)),
        version: i.version,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip() {
        for s in Status::ALL {
            assert_eq!(status_from_proto(status_to_proto(s) as i32), Some(s));
        }
        assert_eq!(status_from_proto(0), None);
        assert_eq!(status_from_proto(99), None);
        for k in [Kind::Invoice, Kind::CreditNote] {
            assert_eq!(kind_from_proto(kind_to_proto(k) as i32), Some(k));
        }
        assert_eq!(kind_from_proto(0), None);
    }
}
