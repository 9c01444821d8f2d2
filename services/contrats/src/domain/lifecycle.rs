//! The state machine of a contract and the date rules of its transitions, including the
//! consumer's right of renunciation (C. assur. L112-9, domain-rules §3).

use chrono::{Days, NaiveDate};

use super::{ClientKind, Contract, SalesChannel, Status, TerminationCause};

/// Calendar days a consumer has to renounce a contract sold at a distance or door to
/// door, counted from the day of signature (day 0): the last day is signature + 14.
pub const RENUNCIATION_DAYS: u64 = 14;

/// What a caller asks of a contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// UpdateContract.
    Update,
    /// SendForSignature.
    SendForSignature,
    /// SignContract.
    Sign,
    /// SuspendContract.
    Suspend,
    /// ResumeContract.
    Resume,
    /// TerminateContract.
    Terminate,
    /// CancelContract.
    Cancel,
    /// AmendContract.
    Amend,
}

impl Action {
    /// Returns the statuses the action applies to.
    pub fn allowed_from(self) -> &'static [Status] {
        use Status::*;
        match self {
            Action::Update | Action::SendForSignature => &[Draft],
            Action::Sign => &[PendingSignature],
            Action::Suspend | Action::Amend => &[Active],
            Action::Resume => &[Suspended],
            Action::Terminate => &[Active, Suspended],
            Action::Cancel => &[Draft, PendingSignature],
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Action::Update => "updated",
            Action::SendForSignature => "sent for signature",
            Action::Sign => "signed",
            Action::Suspend => "suspended",
            Action::Resume => "resumed",
            Action::Terminate => "terminated",
            Action::Cancel => "cancelled",
            Action::Amend => "amended",
        }
    }
}

/// Returns the status a contract in `from` moves to by `action`, or why it may not.
pub fn transition(from: Status, action: Action) -> Result<Status, Refusal> {
    let allowed = action.allowed_from();
    if !allowed.contains(&from) {
        let names: Vec<&str> = allowed.iter().map(|s| s.label()).collect();
        return Err(Refusal::Precondition(format!(
            "a {} contract cannot be {}; it must be {}",
            from.label(),
            action.verb(),
            names.join(" or ")
        )));
    }
    Ok(match action {
        Action::Update | Action::Amend => from,
        Action::SendForSignature => Status::PendingSignature,
        Action::Sign | Action::Resume => Status::Active,
        Action::Suspend => Status::Suspended,
        Action::Terminate => Status::Terminated,
        Action::Cancel => Status::Cancelled,
    })
}

impl Status {
    /// Returns the name of the status as the API spells it.
    pub fn label(self) -> &'static str {
        match self {
            Status::Draft => "DRAFT",
            Status::PendingSignature => "PENDING_SIGNATURE",
            Status::Active => "ACTIVE",
            Status::Suspended => "SUSPENDED",
            Status::Terminated => "TERMINATED",
            Status::Cancelled => "CANCELLED",
        }
    }
}

/// Why a date rule refuses a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The request's own field is wrong whatever the contract: (field, description).
    Invalid(String, String),
    /// The contract's state does not allow it.
    Precondition(String),
}

/// Returns the last day a renunciation of a contract signed on `signed` may be dated,
/// or `None` when the contract gives no right of renunciation: only a consumer (a
/// person) who bought at a distance or door to door has one.
pub fn renunciation_deadline(
    kind: ClientKind,
    channel: SalesChannel,
    signed: NaiveDate,
) -> Option<NaiveDate> {
    let eligible = kind == ClientKind::Person
        && matches!(channel, SalesChannel::Distance | SalesChannel::DoorToDoor);
    if !eligible {
        return None;
    }
    signed.checked_add_days(Days::new(RENUNCIATION_DAYS))
}

/// Returns the contract's renunciation deadline, `None` when unsigned or not eligible.
pub fn contract_renunciation_deadline(c: &Contract) -> Option<NaiveDate> {
    let s = c.signature.as_ref()?;
    renunciation_deadline(s.client_kind, c.terms.sales_channel, s.date)
}

fn signature_date(c: &Contract) -> Result<NaiveDate, Refusal> {
    c.signature
        .as_ref()
        .map(|s| s.date)
        .ok_or_else(|| Refusal::Precondition("the contract is not signed".into()))
}

fn not_in_future(date: NaiveDate, today: NaiveDate, field: &str) -> Result<(), Refusal> {
    if date > today {
        return Err(Refusal::Invalid(
            field.to_owned(),
            "must not be in the future".into(),
        ));
    }
    Ok(())
}

/// Checks a termination of `c` on `date` for `cause`, `today` being the current date. A
/// renunciation is dated the day the client renounced (not in the future) and must fall
/// within [`RENUNCIATION_DAYS`] of the signature of an eligible contract.
pub fn check_termination(
    c: &Contract,
    cause: TerminationCause,
    date: NaiveDate,
    today: NaiveDate,
) -> Result<(), Refusal> {
    let signed = signature_date(c)?;
    if cause == TerminationCause::Renunciation {
        not_in_future(date, today, "termination_date")?;
    }
    if date < signed {
        return Err(Refusal::Precondition(format!(
            "the termination date must not be before the signature date {signed}"
        )));
    }
    if cause == TerminationCause::Renunciation {
        let Some(deadline) = contract_renunciation_deadline(c) else {
            return Err(Refusal::Precondition(
                "only a consumer contract sold at a distance or door to door can be renounced"
                    .into(),
            ));
        };
        if date > deadline {
            return Err(Refusal::Precondition(format!(
                "the renunciation period ended on {deadline} ({RENUNCIATION_DAYS} days after the signature on {signed})"
            )));
        }
    }
    Ok(())
}

/// Checks a suspension of `c` from `date`.
pub fn check_suspension(c: &Contract, date: NaiveDate, today: NaiveDate) -> Result<(), Refusal> {
    not_in_future(date, today, "effective_date")?;
    let signed = signature_date(c)?;
    if date < signed {
        return Err(Refusal::Precondition(format!(
            "the suspension must not start before the signature date {signed}"
        )));
    }
    Ok(())
}

/// Checks that `c` resumes on `date`.
pub fn check_resumption(c: &Contract, date: NaiveDate, today: NaiveDate) -> Result<(), Refusal> {
    not_in_future(date, today, "effective_date")?;
    if let Some(s) = &c.suspension
        && date < s.date
    {
        return Err(Refusal::Precondition(format!(
            "the contract cannot resume before its suspension on {}",
            s.date
        )));
    }
    Ok(())
}

/// Checks that an amendment of `c` may take effect on `date`: not before the signature
/// nor before the previous amendment.
pub fn check_amendment_date(c: &Contract, date: NaiveDate) -> Result<(), Refusal> {
    let signed = signature_date(c)?;
    if date < signed {
        return Err(Refusal::Precondition(format!(
            "an amendment must not take effect before the signature date {signed}"
        )));
    }
    if let Some(last) = c.amendments.last()
        && date < last.effective_date
    {
        return Err(Refusal::Precondition(format!(
            "an amendment must not take effect before the previous one ({})",
            last.effective_date
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PaymentMethod, Signature, Terms};
    use chrono::Utc;
    use uuid::Uuid;

    const ALL: [Status; 6] = [
        Status::Draft,
        Status::PendingSignature,
        Status::Active,
        Status::Suspended,
        Status::Terminated,
        Status::Cancelled,
    ];

    const ACTIONS: [Action; 8] = [
        Action::Update,
        Action::SendForSignature,
        Action::Sign,
        Action::Suspend,
        Action::Resume,
        Action::Terminate,
        Action::Cancel,
        Action::Amend,
    ];

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    fn contract(kind: ClientKind, channel: SalesChannel, signed: &str) -> Contract {
        let now = Utc::now();
        Contract {
            id: Uuid::now_v7(),
            organisation_id: Uuid::now_v7(),
            number: "C-2026-000001".into(),
            terms: Terms {
                client_id: Uuid::now_v7(),
                commercial_id: Uuid::now_v7(),
                lines: vec![],
                start_date: d(signed),
                term_months: 12,
                tacit_renewal: true,
                billing_day: 5,
                payment_method: PaymentMethod::Card,
                mandate_reference: None,
                sales_channel: channel,
            },
            status: Status::Active,
            signature: Some(Signature {
                date: d(signed),
                signer_name: "Jeanne".into(),
                client_kind: kind,
            }),
            suspension: None,
            termination: None,
            cancellation_reason: None,
            amendments: vec![],
            created_at: now,
            updated_at: now,
            version: 3,
        }
    }

    #[test]
    fn the_happy_path_walks_the_lifecycle() {
        let mut s = Status::Draft;
        for (action, next) in [
            (Action::Update, Status::Draft),
            (Action::SendForSignature, Status::PendingSignature),
            (Action::Sign, Status::Active),
            (Action::Amend, Status::Active),
            (Action::Suspend, Status::Suspended),
            (Action::Resume, Status::Active),
            (Action::Suspend, Status::Suspended),
            (Action::Terminate, Status::Terminated),
        ] {
            s = transition(s, action).expect("allowed");
            assert_eq!(s, next);
        }
        assert_eq!(
            transition(Status::Active, Action::Terminate),
            Ok(Status::Terminated)
        );
        assert_eq!(
            transition(Status::Draft, Action::Cancel),
            Ok(Status::Cancelled)
        );
        assert_eq!(
            transition(Status::PendingSignature, Action::Cancel),
            Ok(Status::Cancelled)
        );
    }

    #[test]
    fn every_other_transition_is_refused() {
        let allowed = [
            (Status::Draft, Action::Update),
            (Status::Draft, Action::SendForSignature),
            (Status::Draft, Action::Cancel),
            (Status::PendingSignature, Action::Sign),
            (Status::PendingSignature, Action::Cancel),
            (Status::Active, Action::Suspend),
            (Status::Active, Action::Terminate),
            (Status::Active, Action::Amend),
            (Status::Suspended, Action::Resume),
            (Status::Suspended, Action::Terminate),
        ];
        let mut refused = 0;
        for from in ALL {
            for action in ACTIONS {
                let result = transition(from, action);
                if allowed.contains(&(from, action)) {
                    assert!(result.is_ok(), "{from:?} {action:?}");
                } else {
                    assert!(
                        matches!(result, Err(Refusal::Precondition(_))),
                        "{from:?} {action:?}"
                    );
                    refused += 1;
                }
            }
        }
        assert_eq!(refused, 6 * 8 - allowed.len());
        // Final statuses allow nothing.
        for action in ACTIONS {
            assert!(transition(Status::Terminated, action).is_err());
            assert!(transition(Status::Cancelled, action).is_err());
        }
    }

    #[test]
    fn refusals_name_the_status_needed() {
        let Err(Refusal::Precondition(message)) = transition(Status::Draft, Action::Sign) else {
            panic!("draft cannot be signed");
        };
        assert_eq!(
            message,
            "a DRAFT contract cannot be signed; it must be PENDING_SIGNATURE"
        );
    }

    #[test]
    fn only_consumers_at_a_distance_or_door_to_door_may_renounce() {
        let signed = d("2026-03-10");
        for channel in [SalesChannel::Distance, SalesChannel::DoorToDoor] {
            assert_eq!(
                renunciation_deadline(ClientKind::Person, channel, signed),
                Some(d("2026-03-24"))
            );
            assert_eq!(
                renunciation_deadline(ClientKind::Company, channel, signed),
                None
            );
        }
        assert_eq!(
            renunciation_deadline(ClientKind::Person, SalesChannel::OnPremises, signed),
            None
        );
    }

    #[test]
    fn the_renunciation_window_is_fourteen_calendar_days() {
        let c = contract(ClientKind::Person, SalesChannel::Distance, "2026-02-20");
        let today = d("2026-12-31");
        // Day 0, day 14 (across the end of February) are inside; day 15 is not.
        for inside in ["2026-02-20", "2026-03-01", "2026-03-06"] {
            assert_eq!(
                check_termination(&c, TerminationCause::Renunciation, d(inside), today),
                Ok(()),
                "{inside}"
            );
        }
        let late = check_termination(&c, TerminationCause::Renunciation, d("2026-03-07"), today);
        assert!(
            matches!(&late, Err(Refusal::Precondition(m)) if m.contains("2026-03-06")),
            "{late:?}"
        );
        // Before the signature is refused; a future renunciation is bad input.
        assert!(matches!(
            check_termination(&c, TerminationCause::Renunciation, d("2026-02-19"), today),
            Err(Refusal::Precondition(_))
        ));
        assert!(matches!(
            check_termination(&c, TerminationCause::Renunciation, d("2026-02-25"), d("2026-02-22")),
            Err(Refusal::Invalid(f, _)) if f == "termination_date"
        ));
    }

    #[test]
    fn renunciation_is_refused_without_the_right() {
        let today = d("2026-03-12");
        for c in [
            contract(ClientKind::Company, SalesChannel::DoorToDoor, "2026-03-10"),
            contract(ClientKind::Person, SalesChannel::OnPremises, "2026-03-10"),
        ] {
            assert!(matches!(
                check_termination(&c, TerminationCause::Renunciation, today, today),
                Err(Refusal::Precondition(_))
            ));
            // Other causes work, in the future too (end of a notice period).
            assert_eq!(
                check_termination(
                    &c,
                    TerminationCause::ClientCancellation,
                    d("2026-06-30"),
                    today
                ),
                Ok(())
            );
        }
    }

    #[test]
    fn suspension_resumption_and_amendment_dates() {
        let mut c = contract(ClientKind::Person, SalesChannel::OnPremises, "2026-03-10");
        let today = d("2026-04-01");
        assert_eq!(check_suspension(&c, d("2026-03-15"), today), Ok(()));
        assert!(matches!(
            check_suspension(&c, d("2026-03-09"), today),
            Err(Refusal::Precondition(_))
        ));
        assert!(matches!(
            check_suspension(&c, d("2026-04-02"), today),
            Err(Refusal::Invalid(..))
        ));
        c.suspension = Some(crate::domain::Suspension {
            date: d("2026-03-15"),
            reason: "unpaid".into(),
            dunning_case_id: None,
        });
        assert_eq!(check_resumption(&c, d("2026-03-15"), today), Ok(()));
        assert!(matches!(
            check_resumption(&c, d("2026-03-14"), today),
            Err(Refusal::Precondition(_))
        ));
        assert_eq!(check_amendment_date(&c, d("2026-05-01")), Ok(()));
        assert!(check_amendment_date(&c, d("2026-03-01")).is_err());
    }
}
