//! The states of a chain and of its attempts, and the moves between them
//! (domain-rules 6.2: `WAITING → SCHEDULED → IN_FLIGHT → SUCCEEDED | WAITING | EXHAUSTED
//! | ABORTED`).

/// Where a chain stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChainState {
    /// A presentation failed; the next step is being decided (within the same
    /// transaction, so never stored).
    Waiting,
    /// An attempt waits for its due date.
    Scheduled,
    /// The attempt was handed to payments.
    InFlight,
    /// A re-presentation was paid.
    Succeeded,
    /// No further attempt; relance takes over.
    Exhausted,
    /// Retries were stopped.
    Aborted,
}

impl ChainState {
    /// Every state.
    pub const ALL: [ChainState; 6] = [
        ChainState::Waiting,
        ChainState::Scheduled,
        ChainState::InFlight,
        ChainState::Succeeded,
        ChainState::Exhausted,
        ChainState::Aborted,
    ];

    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChainState::Waiting => "waiting",
            ChainState::Scheduled => "scheduled",
            ChainState::InFlight => "in_flight",
            ChainState::Succeeded => "succeeded",
            ChainState::Exhausted => "exhausted",
            ChainState::Aborted => "aborted",
        }
    }

    /// Returns the state of a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Returns whether further attempts may still follow.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ChainState::Waiting | ChainState::Scheduled | ChainState::InFlight
        )
    }

    /// Returns the state after the chain's latest payment was rejected: WAITING (a
    /// decision follows) from IN_FLIGHT, or from SUCCEEDED when a paid re-presentation
    /// is returned within the return window; `None` when the chain ignores it (it was
    /// stopped, or holds no presentation in flight).
    pub fn on_rejection(self) -> Option<Self> {
        match self {
            ChainState::InFlight | ChainState::Succeeded => Some(ChainState::Waiting),
            ChainState::Waiting
            | ChainState::Scheduled
            | ChainState::Exhausted
            | ChainState::Aborted => None,
        }
    }

    /// Returns the state after a presentation of the chain was paid: SUCCEEDED from
    /// IN_FLIGHT, and from ABORTED or EXHAUSTED when a presentation handed over before
    /// the chain was stopped was paid after it; `None` otherwise.
    pub fn on_paid(self) -> Option<Self> {
        match self {
            ChainState::InFlight | ChainState::Aborted | ChainState::Exhausted => {
                Some(ChainState::Succeeded)
            }
            ChainState::Waiting | ChainState::Scheduled | ChainState::Succeeded => None,
        }
    }

    /// Returns the state after retries were stopped: ABORTED from an open state,
    /// `None` from a closed one.
    pub fn on_abort(self) -> Option<Self> {
        self.is_open().then_some(ChainState::Aborted)
    }

    /// Returns the state after the scheduled attempt was handed to payments: IN_FLIGHT
    /// from SCHEDULED; a chain stopped meanwhile (ABORTED, or EXHAUSTED by a concurrent
    /// run) keeps its state, its attempt being recorded in flight all the same since the
    /// payment exists.
    pub fn on_submitted(self) -> Option<Self> {
        match self {
            ChainState::Scheduled => Some(ChainState::InFlight),
            ChainState::Aborted | ChainState::Exhausted => Some(self),
            ChainState::Waiting | ChainState::InFlight | ChainState::Succeeded => None,
        }
    }
}

/// Where an attempt stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttemptStatus {
    /// Waiting for its due date.
    Scheduled,
    /// Handed to payments.
    InFlight,
    /// Its payment was received.
    Succeeded,
    /// Its payment was rejected or returned.
    Failed,
    /// Cancelled before it was handed over.
    Aborted,
}

impl AttemptStatus {
    /// Every status.
    pub const ALL: [AttemptStatus; 5] = [
        AttemptStatus::Scheduled,
        AttemptStatus::InFlight,
        AttemptStatus::Succeeded,
        AttemptStatus::Failed,
        AttemptStatus::Aborted,
    ];

    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AttemptStatus::Scheduled => "scheduled",
            AttemptStatus::InFlight => "in_flight",
            AttemptStatus::Succeeded => "succeeded",
            AttemptStatus::Failed => "failed",
            AttemptStatus::Aborted => "aborted",
        }
    }

    /// Returns the status of a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// Why a chain stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StopReason {
    /// A hard reason code.
    HardCode,
    /// A technical reason code.
    TechnicalCode,
    /// MD06 or another dispute.
    Dispute,
    /// MD07.
    DebtorDeceased,
    /// A code the policy does not retry.
    CodeNotRetried,
    /// The code's own limit was used up (MS03 once).
    CodeLimitReached,
    /// The policy's max_retries was reached.
    MaxRetries,
    /// No valid day left in the window.
    WindowElapsed,
    /// The mandate is no longer active.
    MandateInactive,
    /// A credit note was issued against the invoice.
    InvoiceCredited,
    /// The invoice was paid otherwise.
    InvoicePaid,
    /// A member cancelled the retries.
    Cancelled,
}

impl StopReason {
    /// Every reason.
    pub const ALL: [StopReason; 12] = [
        StopReason::HardCode,
        StopReason::TechnicalCode,
        StopReason::Dispute,
        StopReason::DebtorDeceased,
        StopReason::CodeNotRetried,
        StopReason::CodeLimitReached,
        StopReason::MaxRetries,
        StopReason::WindowElapsed,
        StopReason::MandateInactive,
        StopReason::InvoiceCredited,
        StopReason::InvoicePaid,
        StopReason::Cancelled,
    ];

    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            StopReason::HardCode => "hard_code",
            StopReason::TechnicalCode => "technical_code",
            StopReason::Dispute => "dispute",
            StopReason::DebtorDeceased => "debtor_deceased",
            StopReason::CodeNotRetried => "code_not_retried",
            StopReason::CodeLimitReached => "code_limit_reached",
            StopReason::MaxRetries => "max_retries",
            StopReason::WindowElapsed => "window_elapsed",
            StopReason::MandateInactive => "mandate_inactive",
            StopReason::InvoiceCredited => "invoice_credited",
            StopReason::InvoicePaid => "invoice_paid",
            StopReason::Cancelled => "cancelled",
        }
    }

    /// Returns the reason of a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Returns whether the chain ends EXHAUSTED (the debt stays with the client and
    /// relance takes over) rather than ABORTED (retries stopped from outside).
    pub fn exhausts(self) -> bool {
        match self {
            StopReason::HardCode
            | StopReason::TechnicalCode
            | StopReason::Dispute
            | StopReason::DebtorDeceased
            | StopReason::CodeNotRetried
            | StopReason::CodeLimitReached
            | StopReason::MaxRetries
            | StopReason::WindowElapsed => true,
            StopReason::MandateInactive
            | StopReason::InvoiceCredited
            | StopReason::InvoicePaid
            | StopReason::Cancelled => false,
        }
    }

    /// Returns whether stopping for this reason publishes retry.exhausted, handing the
    /// debt to relance: every exhaustion, and a mandate no longer active (the amount is
    /// still owed). A credit note or another payment settles the matter and a member's
    /// cancellation is their own decision: nothing is published for them.
    pub fn hands_over(self) -> bool {
        self.exhausts() || self == StopReason::MandateInactive
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in ChainState::ALL {
            assert_eq!(ChainState::parse(s.as_str()), Some(s));
        }
        for s in AttemptStatus::ALL {
            assert_eq!(AttemptStatus::parse(s.as_str()), Some(s));
        }
        for s in StopReason::ALL {
            assert_eq!(StopReason::parse(s.as_str()), Some(s));
        }
        assert_eq!(ChainState::parse("done"), None);
    }

    #[test]
    fn the_chain_machine_follows_domain_rules() {
        use ChainState::*;
        // A presentation in flight fails: WAITING, then a decision.
        assert_eq!(InFlight.on_rejection(), Some(Waiting));
        // A paid re-presentation returned within D+5 reopens the chain.
        assert_eq!(Succeeded.on_rejection(), Some(Waiting));
        for closed in [Exhausted, Aborted] {
            assert_eq!(closed.on_rejection(), None);
            assert_eq!(closed.on_abort(), None);
        }
        assert_eq!(Scheduled.on_rejection(), None);
        assert_eq!(InFlight.on_paid(), Some(Succeeded));
        assert_eq!(Aborted.on_paid(), Some(Succeeded));
        assert_eq!(Exhausted.on_paid(), Some(Succeeded));
        assert_eq!(Scheduled.on_paid(), None);
        assert_eq!(Succeeded.on_paid(), None);
        for open in [Waiting, Scheduled, InFlight] {
            assert_eq!(open.on_abort(), Some(Aborted));
        }
        assert_eq!(Succeeded.on_abort(), None);
        assert_eq!(Scheduled.on_submitted(), Some(InFlight));
        assert_eq!(Aborted.on_submitted(), Some(Aborted));
        assert_eq!(Exhausted.on_submitted(), Some(Exhausted));
        assert_eq!(InFlight.on_submitted(), None);
    }

    #[test]
    fn only_exhaustions_and_inactive_mandates_hand_over() {
        let handed: Vec<_> = StopReason::ALL
            .into_iter()
            .filter(|r| r.hands_over())
            .collect();
        assert_eq!(handed.len(), 9);
        assert!(!StopReason::Cancelled.hands_over());
        assert!(!StopReason::InvoiceCredited.hands_over());
        assert!(!StopReason::InvoicePaid.hands_over());
        assert!(!StopReason::MandateInactive.exhausts());
    }
}
