//! The rules of organisations, memberships and invitations, free of I/O: what a valid
//! organisation is, who may grant or take away which role, when an organisation would
//! lose its last owner, and what state an invitation is in.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use crm_kit::Role;
use uuid::Uuid;

mod organisation;

pub use organisation::{ValidOrganisation, derive_slug, slug_with_suffix, validate};

/// The fields of an organisation a caller sets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OrganisationData {
    /// Display name.
    pub name: String,
    /// URL-safe unique name; empty before validation means "derive it from the name".
    pub slug: String,
    /// Registered legal name.
    pub legal_name: String,
    /// SIREN, nine digits.
    pub siren: Option<String>,
    /// ISO 3166-1 alpha-2 country.
    pub country_code: String,
    /// ISO 4217 currency.
    pub default_currency: String,
    /// IANA time zone.
    pub time_zone: String,
    /// SEPA creditor identifier (ICS).
    pub sepa_creditor_id: Option<String>,
    /// Prefix of the invoice number series.
    pub invoice_prefix: String,
    /// Free-form settings.
    pub settings: BTreeMap<String, String>,
}

/// A stored organisation: the tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    /// UUIDv7, also the tenant id of every row the organisation owns.
    pub id: Uuid,
    /// The fields.
    pub data: OrganisationData,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A user's membership of an organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// UUIDv7: orders members by joining time.
    pub id: Uuid,
    /// The organisation.
    pub organisation_id: Uuid,
    /// The user.
    pub user_id: Uuid,
    /// The role it grants.
    pub role: Role,
    /// The member's sales-agent record, when linked.
    pub commercial_id: Option<Uuid>,
    /// When the user joined.
    pub created_at: DateTime<Utc>,
}

/// The state an invitation is stored in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Not used yet (possibly past its expiry).
    Pending,
    /// Spent.
    Accepted,
    /// Withdrawn, or replaced by a newer invitation of the same address.
    Revoked,
}

impl Stored {
    /// Returns the stored text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Stored::Pending => "pending",
            Stored::Accepted => "accepted",
            Stored::Revoked => "revoked",
        }
    }

    /// Returns the value of a stored text form.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Stored::Pending),
            "accepted" => Some(Stored::Accepted),
            "revoked" => Some(Stored::Revoked),
            _ => None,
        }
    }
}

/// The state of an invitation as callers see it: expiry is derived from the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationState {
    /// Can be accepted.
    Pending,
    /// Spent.
    Accepted,
    /// Withdrawn.
    Revoked,
    /// Not accepted in time.
    Expired,
}

/// An invitation to join an organisation. Only the token's hash is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// UUIDv7.
    pub id: Uuid,
    /// The organisation to join.
    pub organisation_id: Uuid,
    /// The lowercase address invited.
    pub email: String,
    /// The role granted on acceptance.
    pub role: Role,
    /// The stored state.
    pub stored: Stored,
    /// When it stops being usable.
    pub expires_at: DateTime<Utc>,
    /// The member who invited.
    pub invited_by: Uuid,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// Returns how long an invitation stays usable: 7 days.
pub fn invitation_ttl() -> TimeDelta {
    TimeDelta::days(7)
}

impl Invitation {
    /// Returns the state at `now`: a pending invitation past its expiry is expired.
    pub fn state(&self, now: DateTime<Utc>) -> InvitationState {
        match self.stored {
            Stored::Pending if now >= self.expires_at => InvitationState::Expired,
            Stored::Pending => InvitationState::Pending,
            Stored::Accepted => InvitationState::Accepted,
            Stored::Revoked => InvitationState::Revoked,
        }
    }

    /// Returns why the invitation cannot be accepted at `now`, if it cannot.
    pub fn refusal(&self, now: DateTime<Utc>) -> Option<Refusal> {
        match self.state(now) {
            InvitationState::Pending => None,
            InvitationState::Accepted => Some(Refusal::WrongState(
                "the invitation has already been accepted",
            )),
            InvitationState::Revoked => {
                Some(Refusal::WrongState("the invitation has been revoked"))
            }
            InvitationState::Expired => Some(Refusal::WrongState("the invitation has expired")),
        }
    }
}

/// Why a membership rule refuses a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The caller's role may not do this (`PERMISSION_DENIED`).
    Forbidden(&'static str),
    /// The organisation's state forbids it (`FAILED_PRECONDITION`).
    WrongState(&'static str),
}

/// Returns whether `role` administers members (owners and admins).
pub fn administers(role: Option<Role>) -> bool {
    matches!(role, Some(Role::Owner | Role::Admin))
}

/// Checks that a caller with `caller` role may invite someone as `role`: only owners
/// make owners.
pub fn check_invite(caller: Option<Role>, role: Role) -> Result<(), Refusal> {
    if role == Role::Owner && caller != Some(Role::Owner) {
        return Err(Refusal::Forbidden("only an owner may invite an owner"));
    }
    Ok(())
}

/// Checks that a caller with `caller` role may change a member from `current` to `next`
/// in an organisation that has `owners` owners (the member included).
pub fn check_role_change(
    caller: Option<Role>,
    current: Role,
    next: Role,
    owners: u64,
) -> Result<(), Refusal> {
    if (current == Role::Owner || next == Role::Owner) && current != next {
        if caller != Some(Role::Owner) {
            return Err(Refusal::Forbidden(
                "only an owner may grant or take away the owner role",
            ));
        }
        if current == Role::Owner && owners <= 1 {
            return Err(Refusal::WrongState(
                "an organisation keeps at least one owner",
            ));
        }
    }
    Ok(())
}

/// Checks that a caller with `caller` role may remove a member holding `target`, in an
/// organisation that has `owners` owners. `leaving` says the caller removes themselves.
pub fn check_removal(
    caller: Option<Role>,
    leaving: bool,
    target: Role,
    owners: u64,
) -> Result<(), Refusal> {
    if !leaving && !administers(caller) {
        return Err(Refusal::Forbidden(
            "only owners and admins remove other members",
        ));
    }
    if target == Role::Owner {
        if !leaving && caller != Some(Role::Owner) {
            return Err(Refusal::Forbidden("only an owner may remove an owner"));
        }
        if owners <= 1 {
            return Err(Refusal::WrongState("the last owner cannot be removed"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invitation(stored: Stored, expires_at: DateTime<Utc>) -> Invitation {
        Invitation {
            id: Uuid::now_v7(),
            organisation_id: Uuid::now_v7(),
            email: "a@b.fr".into(),
            role: Role::Agent,
            stored,
            expires_at,
            invited_by: Uuid::now_v7(),
            created_at: expires_at - invitation_ttl(),
        }
    }

    #[test]
    fn expiry_is_derived_from_the_clock() {
        let now = Utc::now();
        let live = invitation(Stored::Pending, now + TimeDelta::hours(1));
        assert_eq!(live.state(now), InvitationState::Pending);
        assert_eq!(live.refusal(now), None);
        let old = invitation(Stored::Pending, now);
        assert_eq!(old.state(now), InvitationState::Expired);
        assert!(matches!(old.refusal(now), Some(Refusal::WrongState(_))));
        // An accepted or revoked invitation stays so after its expiry.
        let spent = invitation(Stored::Accepted, now - TimeDelta::days(1));
        assert_eq!(spent.state(now), InvitationState::Accepted);
        let revoked = invitation(Stored::Revoked, now + TimeDelta::days(1));
        assert_eq!(revoked.state(now), InvitationState::Revoked);
        assert!(revoked.refusal(now).is_some());
    }

    #[test]
    fn stored_states_round_trip() {
        for s in [Stored::Pending, Stored::Accepted, Stored::Revoked] {
            assert_eq!(Stored::parse(s.as_str()), Some(s));
        }
        assert_eq!(Stored::parse("expired"), None);
    }

    #[test]
    fn only_owners_invite_owners() {
        assert!(check_invite(Some(Role::Owner), Role::Owner).is_ok());
        assert!(check_invite(Some(Role::Admin), Role::Admin).is_ok());
        assert!(matches!(
            check_invite(Some(Role::Admin), Role::Owner),
            Err(Refusal::Forbidden(_))
        ));
        assert!(check_invite(None, Role::Owner).is_err());
    }

    #[test]
    fn only_owners_grant_or_take_away_ownership() {
        let admin = Some(Role::Admin);
        let owner = Some(Role::Owner);
        assert!(check_role_change(admin, Role::Agent, Role::Manager, 1).is_ok());
        assert!(matches!(
            check_role_change(admin, Role::Agent, Role::Owner, 1),
            Err(Refusal::Forbidden(_))
        ));
        assert!(matches!(
            check_role_change(admin, Role::Owner, Role::Admin, 2),
            Err(Refusal::Forbidden(_))
        ));
        assert!(check_role_change(owner, Role::Agent, Role::Owner, 1).is_ok());
        assert!(check_role_change(owner, Role::Owner, Role::Admin, 2).is_ok());
        // Setting an owner's role to owner changes nothing and needs nothing.
        assert!(check_role_change(admin, Role::Owner, Role::Owner, 1).is_ok());
    }

    #[test]
    fn the_last_owner_cannot_be_demoted() {
        assert_eq!(
            check_role_change(Some(Role::Owner), Role::Owner, Role::Viewer, 1),
            Err(Refusal::WrongState(
                "an organisation keeps at least one owner"
            ))
        );
    }

    #[test]
    fn removal_rules() {
        let (owner, admin, viewer) = (Some(Role::Owner), Some(Role::Admin), Some(Role::Viewer));
        // Anyone may leave, even a viewer.
        assert!(check_removal(viewer, true, Role::Viewer, 1).is_ok());
        // Removing someone else needs an admin or an owner.
        assert!(matches!(
            check_removal(viewer, false, Role::Agent, 1),
            Err(Refusal::Forbidden(_))
        ));
        assert!(check_removal(admin, false, Role::Agent, 1).is_ok());
        // Only owners remove owners, and never the last one.
        assert!(matches!(
            check_removal(admin, false, Role::Owner, 2),
            Err(Refusal::Forbidden(_))
        ));
        assert!(check_removal(owner, false, Role::Owner, 2).is_ok());
        assert!(matches!(
            check_removal(owner, true, Role::Owner, 1),
            Err(Refusal::WrongState(_))
        ));
        assert!(check_removal(owner, true, Role::Owner, 2).is_ok());
    }
}
