//! Rows of `invoices` to documents and back. A row this service did not write (an
//! unknown status, unreadable JSON, an issued row missing its snapshot) is an error,
//! never a silent default.

use sea_orm::ActiveValue::Set;
use sea_orm::DbErr;
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::domain::{ClientKind, CreditOf, Invoice, Issued, Kind, Period, Status, Totals};
use crate::entity::invoice;

fn corrupt(id: Uuid, what: &str) -> DbErr {
    DbErr::Custom(format!("invoice {id}: unreadable {what}"))
}

fn json<T: DeserializeOwned>(id: Uuid, what: &str, text: &str) -> Result<T, DbErr> {
    serde_json::from_str(text).map_err(|_| corrupt(id, what))
}

fn to_json<T: Serialize>(id: Uuid, value: &T) -> Result<String, DbErr> {
    serde_json::to_string(value).map_err(|e| DbErr::Custom(format!("invoice {id}: {e}")))
}

fn period(start: Option<chrono::NaiveDate>, end: Option<chrono::NaiveDate>) -> Option<Period> {
    Some(Period {
        start: start?,
        end: end?,
    })
}

/// Returns the document of a row.
pub fn to_domain(m: invoice::Model) -> Result<Invoice, DbErr> {
    let id = m.id;
    let kind = Kind::parse(&m.kind).ok_or_else(|| corrupt(id, "kind"))?;
    let status = Status::parse(&m.status).ok_or_else(|| corrupt(id, "status"))?;
    let issued = match (m.number.clone(), status) {
        (None, Status::Draft) => None,
        (Some(number), _) => Some(issued(id, number, &m)?),
        (None, _) => return Err(corrupt(id, "number")),
    };
    let credit_of = match (m.credited_invoice_id, m.credited_invoice_number) {
        (Some(invoice_id), Some(invoice_number)) => Some(CreditOf {
            invoice_id,
            invoice_number,
            reason: m.credit_reason.unwrap_or_default(),
        }),
        _ => None,
    };
    Ok(Invoice {
        id,
        organisation_id: m.organisation_id,
        kind,
        status,
        client_id: m.client_id,
        client_commercial_id: m.client_commercial_id,
        contract_id: m.contract_id,
        currency: m.currency,
        lines: json(id, "lines", &m.lines)?,
        service_period: period(m.service_period_start, m.service_period_end),
        billing_period_start: m.billing_period_start,
        issued,
        amount_paid: m.amount_paid,
        amount_credited: m.amount_credited,
        credited: json(id, "credited", &m.credited)?,
        credit_of,
        overdue_at: m.overdue_at,
        paid_date: m.paid_date,
        write_off_reason: m.write_off_reason,
        created_at: m.created_at,
        updated_at: m.updated_at,
        version: m.version,
    })
}

fn issued(id: Uuid, number: String, m: &invoice::Model) -> Result<Issued, DbErr> {
    let need = |what: &str| corrupt(id, what);
    Ok(Issued {
        number,
        issue_date: m.issue_date.ok_or_else(|| need("issue date"))?,
        due_date: m.due_date.ok_or_else(|| need("due date"))?,
        payment_terms_days: m.payment_terms_days.unwrap_or(0),
        seller: json(
            id,
            "seller",
            m.seller.as_deref().ok_or_else(|| need("seller"))?,
        )?,
        buyer: json(
            id,
            "buyer",
            m.buyer.as_deref().ok_or_else(|| need("buyer"))?,
        )?,
        subtotals: json(id, "vat", m.vat.as_deref().ok_or_else(|| need("vat"))?)?,
        totals: Totals {
            excl_vat: m.total_excl_vat,
            vat: m.total_vat.ok_or_else(|| need("total vat"))?,
            incl_vat: m.total_incl_vat.ok_or_else(|| need("total"))?,
        },
        late_penalty_rate_bps: m.late_penalty_rate_bps,
        mentions: json(
            id,
            "mentions",
            m.mentions.as_deref().ok_or_else(|| need("mentions"))?,
        )?,
    })
}

fn kind_text(k: ClientKind) -> &'static str {
    match k {
        ClientKind::Person => "person",
        ClientKind::Company => "company",
    }
}

/// Returns the row of a document (`request_id` only on creation).
pub fn to_active(i: &Invoice, request_id: Option<Uuid>) -> Result<invoice::ActiveModel, DbErr> {
    let id = i.id;
    let is = i.issued.as_ref();
    Ok(invoice::ActiveModel {
        id: Set(id),
        organisation_id: Set(i.organisation_id),
        kind: Set(i.kind.as_str().to_owned()),
        status: Set(i.status.as_str().to_owned()),
        number: Set(is.map(|s| s.number.clone())),
        client_id: Set(i.client_id),
        client_commercial_id: Set(i.client_commercial_id),
        contract_id: Set(i.contract_id),
        currency: Set(i.currency.clone()),
        lines: Set(to_json(id, &i.lines)?),
        service_period_start: Set(i.service_period.map(|p| p.start)),
        service_period_end: Set(i.service_period.map(|p| p.end)),
        billing_period_start: Set(i.billing_period_start),
        issue_date: Set(is.map(|s| s.issue_date)),
        due_date: Set(is.map(|s| s.due_date)),
        payment_terms_days: Set(is.map(|s| s.payment_terms_days)),
        seller: Set(is.map(|s| to_json(id, &s.seller)).transpose()?),
        buyer: Set(is.map(|s| to_json(id, &s.buyer)).transpose()?),
        client_kind: Set(is.map(|s| kind_text(s.buyer.kind).to_owned())),
        vat: Set(is.map(|s| to_json(id, &s.subtotals)).transpose()?),
        total_excl_vat: Set(is.map_or_else(|| i.net_total(), |s| s.totals.excl_vat)),
        total_vat: Set(is.map(|s| s.totals.vat)),
        total_incl_vat: Set(is.map(|s| s.totals.incl_vat)),
        amount_paid: Set(i.amount_paid),
        amount_credited: Set(i.amount_credited),
        credited: Set(to_json(id, &i.credited)?),
        late_penalty_rate_bps: Set(is.and_then(|s| s.late_penalty_rate_bps)),
        mentions: Set(is.map(|s| to_json(id, &s.mentions)).transpose()?),
        credited_invoice_id: Set(i.credit_of.as_ref().map(|c| c.invoice_id)),
        credited_invoice_number: Set(i.credit_of.as_ref().map(|c| c.invoice_number.clone())),
        credit_reason: Set(i.credit_of.as_ref().map(|c| c.reason.clone())),
        overdue_at: Set(i.overdue_at),
        paid_date: Set(i.paid_date),
        write_off_reason: Set(i.write_off_reason.clone()),
        request_id: Set(request_id),
        created_at: Set(i.created_at),
        updated_at: Set(i.updated_at),
        version: Set(i.version),
    })
}
