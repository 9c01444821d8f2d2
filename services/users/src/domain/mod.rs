//! The rules of an account, free of I/O: what a valid e-mail, password and name are,
//! how passwords are hashed, when repeated failures lock an account, how TOTP codes are
//! checked, how secrets are sealed at rest, and what a refresh token looks like.

use chrono::{DateTime, Utc};
use uuid::Uuid;

pub mod lockout;
pub mod password;
pub mod refresh;
pub mod sealing;
pub mod totp;
pub mod validate;

/// Whether an account may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    /// May sign in.
    Active,
    /// May not sign in.
    Disabled,
}

impl UserStatus {
    /// Returns the stored text form.
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Disabled => "disabled",
        }
    }

    /// Returns the value of a stored text form.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(UserStatus::Active),
            "disabled" => Some(UserStatus::Disabled),
            _ => None,
        }
    }
}

/// A user account as shown to its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// UUIDv7.
    pub id: Uuid,
    /// E-mail address as given (domain lowercased).
    pub email: String,
    /// Name shown to other members.
    pub display_name: String,
    /// Whether the account may sign in.
    pub status: UserStatus,
    /// When the address was verified; no RPC sets it yet (verification waits for the
    /// e-mail service).
    pub email_verified_at: Option<DateTime<Utc>>,
    /// Whether a second factor is active.
    pub totp_enabled: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A user with the credentials that never leave the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The public part.
    pub user: User,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Sealed active TOTP secret.
    pub totp_secret: Option<String>,
    /// Sealed TOTP secret waiting for ConfirmTotp.
    pub totp_pending: Option<String>,
    /// The last TOTP time step accepted, so a code is never accepted twice.
    pub totp_last_step: Option<i64>,
    /// Logins are refused until then.
    pub locked_until: Option<DateTime<Utc>>,
}

/// Returns the key e-mail addresses are unique by: the whole address lowercased.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for s in [UserStatus::Active, UserStatus::Disabled] {
            assert_eq!(UserStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(UserStatus::parse("banned"), None);
    }

    #[test]
    fn email_keys_ignore_case_and_spaces() {
        assert_eq!(email_key(" Ada@Example.COM "), "ada@example.com");
        assert_eq!(email_key("ada@example.com"), email_key("ADA@EXAMPLE.COM"));
    }
}
