//! Conversions between the protobuf messages and the domain: enums both ways (an
//! unknown or unset value is a field violation where it is required), and contracts,
//! lines and amendments to their API and event forms.

use crm_proto::clients::v1::ClientKind as PbClientKind;
use crm_proto::contrats::v1 as pb;
use crm_proto::events::v1 as ev;

use crate::domain::lifecycle::contract_renunciation_deadline;
use crate::domain::{
    Amendment, ClientKind, Contract, Frequency, Line, Money, PaymentMethod, SalesChannel, Status,
    TerminationCause,
};

pub mod input;

pub use crm_kit::convert::{
    Violations, date_from_proto, date_to_proto, optional_uuid, timestamp, uuid_field,
};

fn required_enum<T>(value: i32, parsed: Option<T>, field: &str, v: &mut Violations) -> Option<T> {
    if parsed.is_none() {
        let problem = if value == 0 {
            "is required"
        } else {
            "is not a known value"
        };
        v.push((field.to_owned(), problem.into()));
    }
    parsed
}

/// Returns the status of a proto value (`None` for unspecified or unknown).
pub fn status_from_proto(value: i32) -> Option<Status> {
    match pb::ContractStatus::try_from(value).ok()? {
        pb::ContractStatus::Unspecified => None,
        pb::ContractStatus::Draft => Some(Status::Draft),
        pb::ContractStatus::PendingSignature => Some(Status::PendingSignature),
        pb::ContractStatus::Active => Some(Status::Active),
        pb::ContractStatus::Suspended => Some(Status::Suspended),
        pb::ContractStatus::Terminated => Some(Status::Terminated),
        pb::ContractStatus::Cancelled => Some(Status::Cancelled),
    }
}

fn status_to_proto(s: Status) -> pb::ContractStatus {
    match s {
        Status::Draft => pb::ContractStatus::Draft,
        Status::PendingSignature => pb::ContractStatus::PendingSignature,
        Status::Active => pb::ContractStatus::Active,
        Status::Suspended => pb::ContractStatus::Suspended,
        Status::Terminated => pb::ContractStatus::Terminated,
        Status::Cancelled => pb::ContractStatus::Cancelled,
    }
}

/// Returns the payment method of a required proto value, recording a violation.
pub fn payment_method(value: i32, field: &str, v: &mut Violations) -> Option<PaymentMethod> {
    let parsed = match ev::PaymentMethod::try_from(value).ok() {
        Some(ev::PaymentMethod::Sepa) => Some(PaymentMethod::Sepa),
        Some(ev::PaymentMethod::Card) => Some(PaymentMethod::Card),
        Some(ev::PaymentMethod::Transfer) => Some(PaymentMethod::Transfer),
        Some(ev::PaymentMethod::Unspecified) | None => None,
    };
    required_enum(value, parsed, field, v)
}

fn payment_method_to_proto(m: PaymentMethod) -> ev::PaymentMethod {
    match m {
        PaymentMethod::Sepa => ev::PaymentMethod::Sepa,
        PaymentMethod::Card => ev::PaymentMethod::Card,
        PaymentMethod::Transfer => ev::PaymentMethod::Transfer,
    }
}

/// Returns the sales channel of a required proto value, recording a violation.
pub fn sales_channel(value: i32, field: &str, v: &mut Violations) -> Option<SalesChannel> {
    let parsed = match ev::SalesChannel::try_from(value).ok() {
        Some(ev::SalesChannel::OnPremises) => Some(SalesChannel::OnPremises),
        Some(ev::SalesChannel::Distance) => Some(SalesChannel::Distance),
        Some(ev::SalesChannel::DoorToDoor) => Some(SalesChannel::DoorToDoor),
        Some(ev::SalesChannel::Unspecified) | None => None,
    };
    required_enum(value, parsed, field, v)
}

fn sales_channel_to_proto(c: SalesChannel) -> ev::SalesChannel {
    match c {
        SalesChannel::OnPremises => ev::SalesChannel::OnPremises,
        SalesChannel::Distance => ev::SalesChannel::Distance,
        SalesChannel::DoorToDoor => ev::SalesChannel::DoorToDoor,
    }
}

/// Returns the termination cause of a required proto value, recording a violation.
pub fn termination_cause(value: i32, field: &str, v: &mut Violations) -> Option<TerminationCause> {
    let parsed = match ev::TerminationCause::try_from(value).ok() {
        Some(ev::TerminationCause::Renunciation) => Some(TerminationCause::Renunciation),
        Some(ev::TerminationCause::Unpaid) => Some(TerminationCause::Unpaid),
        Some(ev::TerminationCause::ClientCancellation) => {
            Some(TerminationCause::ClientCancellation)
        }
        Some(ev::TerminationCause::EndOfTerm) => Some(TerminationCause::EndOfTerm),
        Some(ev::TerminationCause::Other) => Some(TerminationCause::Other),
        Some(ev::TerminationCause::Unspecified) | None => None,
    };
    required_enum(value, parsed, field, v)
}

/// Returns the proto value of a termination cause.
pub fn termination_cause_to_proto(c: TerminationCause) -> ev::TerminationCause {
    match c {
        TerminationCause::Renunciation => ev::TerminationCause::Renunciation,
        TerminationCause::Unpaid => ev::TerminationCause::Unpaid,
        TerminationCause::ClientCancellation => ev::TerminationCause::ClientCancellation,
        TerminationCause::EndOfTerm => ev::TerminationCause::EndOfTerm,
        TerminationCause::Other => ev::TerminationCause::Other,
    }
}

/// Returns the proto value of a client kind.
pub fn client_kind_to_proto(k: ClientKind) -> PbClientKind {
    match k {
        ClientKind::Person => PbClientKind::Person,
        ClientKind::Company => PbClientKind::Company,
    }
}

fn frequency_to_proto(f: Option<Frequency>) -> ev::BillingFrequency {
    match f {
        None => ev::BillingFrequency::Unspecified,
        Some(Frequency::Monthly) => ev::BillingFrequency::Monthly,
        Some(Frequency::Quarterly) => ev::BillingFrequency::Quarterly,
        Some(Frequency::SemiAnnual) => ev::BillingFrequency::SemiAnnual,
        Some(Frequency::Annual) => ev::BillingFrequency::Annual,
    }
}

/// Returns the proto form of an amount.
pub fn money_to_proto(m: &Money) -> crm_proto::common::v1::Money {
    crm_proto::common::v1::Money {
        currency_code: m.currency_code.clone(),
        amount_minor: m.amount_minor,
    }
}

fn line_to_proto(l: &Line) -> pb::ContractLine {
    pb::ContractLine {
        product_id: l.product_id.to_string(),
        quantity: l.quantity,
        product_code: l.product_code.clone(),
        product_name: l.product_name.clone(),
        unit_price: Some(money_to_proto(&l.unit_price)),
        billing_frequency: frequency_to_proto(l.billing_frequency) as i32,
        vat_category: l.vat_category.clone(),
    }
}

/// Returns the event form of lines.
pub fn lines_to_event(lines: &[Line]) -> Vec<ev::ContractLine> {
    lines
        .iter()
        .map(|l| ev::ContractLine {
            product_id: l.product_id.to_string(),
            product_code: l.product_code.clone(),
            quantity: l.quantity,
            unit_price: Some(money_to_proto(&l.unit_price)),
            billing_frequency: frequency_to_proto(l.billing_frequency) as i32,
            vat_category: l.vat_category.clone(),
        })
        .collect()
}

/// Returns the proto value of a payment method.
pub fn payment_method_value(m: PaymentMethod) -> i32 {
    payment_method_to_proto(m) as i32
}

/// Returns the proto value of a sales channel.
pub fn sales_channel_value(c: SalesChannel) -> i32 {
    sales_channel_to_proto(c) as i32
}

/// Returns the proto form of an amendment.
pub fn amendment_to_proto(a: &Amendment) -> pb::Amendment {
    pb::Amendment {
        id: a.id.to_string(),
        sequence: a.sequence,
        effective_date: Some(date_to_proto(a.effective_date)),
        reason: a.reason.clone(),
        changed_fields: a.changed_fields.clone(),
        lines: a.lines.iter().map(line_to_proto).collect(),
        billing_day: a.billing_day,
        payment_method: payment_method_value(a.payment_method),
        mandate_reference: a.mandate_reference.clone().unwrap_or_default(),
        create_time: Some(timestamp(a.created_at)),
        create_user_id: a.created_by.map(|u| u.to_string()).unwrap_or_default(),
    }
}

/// Returns the proto form of a contract.
pub fn contract_to_proto(c: &Contract) -> pb::Contract {
    let t = &c.terms;
    let signature = c.signature.as_ref();
    let suspension = c.suspension.as_ref();
    let termination = c.termination.as_ref();
    pb::Contract {
        id: c.id.to_string(),
        number: c.number.clone(),
        client_id: t.client_id.to_string(),
        commercial_id: t.commercial_id.to_string(),
        lines: t.lines.iter().map(line_to_proto).collect(),
        start_date: Some(date_to_proto(t.start_date)),
        term_months: t.term_months,
        tacit_renewal: t.tacit_renewal,
        billing_day: t.billing_day,
        payment_method: payment_method_value(t.payment_method),
        mandate_reference: t.mandate_reference.clone().unwrap_or_default(),
        sales_channel: sales_channel_value(t.sales_channel),
        status: status_to_proto(c.status) as i32,
        signature_date: signature.map(|s| date_to_proto(s.date)),
        signer_name: signature.map(|s| s.signer_name.clone()).unwrap_or_default(),
        client_kind: signature.map_or(PbClientKind::Unspecified, |s| {
            client_kind_to_proto(s.client_kind)
        }) as i32,
        renunciation_deadline: contract_renunciation_deadline(c).map(date_to_proto),
        suspension_date: suspension.map(|s| date_to_proto(s.date)),
        suspension_reason: suspension.map(|s| s.reason.clone()).unwrap_or_default(),
        dunning_case_id: suspension
            .and_then(|s| s.dunning_case_id)
            .map(|d| d.to_string())
            .unwrap_or_default(),
        termination_date: termination.map(|t| date_to_proto(t.date)),
        termination_cause: termination.map_or(ev::TerminationCause::Unspecified, |t| {
            termination_cause_to_proto(t.cause)
        }) as i32,
        termination_reason: termination.map(|t| t.reason.clone()).unwrap_or_default(),
        cancellation_reason: c.cancellation_reason.clone().unwrap_or_default(),
        amendments: c.amendments.iter().map(amendment_to_proto).collect(),
        create_time: Some(timestamp(c.created_at)),
        update_time: Some(timestamp(c.updated_at)),
        version: c.version,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_enums_name_the_problem() {
        let mut v = Violations::new();
        assert_eq!(payment_method(0, "p", &mut v), None);
        assert_eq!(payment_method(99, "p", &mut v), None);
        assert_eq!(
            payment_method(ev::PaymentMethod::Sepa as i32, "p", &mut v),
            Some(PaymentMethod::Sepa)
        );
        assert_eq!(sales_channel(0, "s", &mut v), None);
        assert_eq!(termination_cause(0, "c", &mut v), None);
        let problems: Vec<&str> = v.iter().map(|(_, p)| p.as_str()).collect();
        assert_eq!(
            problems,
            [
                "is required",
                "is not a known value",
                "is required",
                "is required"
            ]
        );
    }

    #[test]
    fn statuses_round_trip() {
        for s in [
            Status::Draft,
            Status::PendingSignature,
            Status::Active,
            Status::Suspended,
            Status::Terminated,
            Status::Cancelled,
        ] {
            assert_eq!(status_from_proto(status_to_proto(s) as i32), Some(s));
        }
        assert_eq!(status_from_proto(0), None);
    }
}
