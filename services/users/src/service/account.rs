//! The signed-in user's own account: profile, password and second factor.

use uuid::Uuid;

use super::Users;
use crate::domain::{User, totp};
use crate::error::Error;

/// What EnrollTotp returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrolment {
    /// Base32 secret.
    pub secret: String,
    /// `otpauth://` URL.
    pub otpauth_url: String,
}

impl Users {
    /// Returns the user.
    pub async fn me(&self, user: Uuid) -> Result<User, Error> {
        Ok(self.account(user).await?.user)
    }

    /// Sets the display name.
    pub async fn update_display_name(&self, user: Uuid, name: &str) -> Result<User, Error> {
        self.repo.update_display_name(user, name).await
    }

    /// Replaces the password once the current one is shown, and revokes every refresh
    /// token of the user.
    pub async fn change_password(
        &self,
        user: Uuid,
        current: &str,
        new: String,
    ) -> Result<(), Error> {
        let account = self.account(user).await?;
        if !self.check_password(&account, current).await? {
            return Err(Error::Unauthenticated("invalid password".into()));
        }
        let hash = self.hash_password(new).await?;
        self.repo.change_password(user, &hash).await?;
        tracing::info!(user_id = %user, "password changed; sessions revoked");
        Ok(())
    }

    /// Starts TOTP enrolment: a new secret, stored sealed until confirmed. Enrolling again
    /// before confirming replaces the pending secret.
    pub async fn enroll_totp(&self, user: Uuid) -> Result<Enrolment, Error> {
        let account = self.account(user).await?;
        if account.user.totp_enabled {
            return Err(already_enabled());
        }
        let secret = totp::generate_secret()?;
        let sealed = self.sealer.seal(&secret, user.as_bytes())?;
        if !self.repo.set_totp_pending(user, &sealed).await? {
            return Err(already_enabled());
        }
        Ok(Enrolment {
            secret: totp::base32(&secret)?,
            otpauth_url: totp::otpauth_url(&secret, &account.user.email)?,
        })
    }

    /// Activates the pending secret once `code` shows the app has it.
    pub async fn confirm_totp(&self, user: Uuid, code: &str) -> Result<(), Error> {
        let account = self.account(user).await?;
        if account.user.totp_enabled {
            return Err(already_enabled());
        }
        let Some(pending) = account.totp_pending else {
            return Err(Error::FailedPrecondition(
                "no totp enrolment to confirm; call EnrollTotp first".into(),
            ));
        };
        let secret = self.sealer.open(&pending, user.as_bytes())?;
        let now = crate::repo::now().timestamp().max(0) as u64;
        let Some(step) = totp::verify(&secret, code, now, None)? else {
            return Err(Error::InvalidArgument(vec![(
                "code".into(),
                "is not a current code of the enrolled secret".into(),
            )]));
        };
        if !self.repo.activate_totp(user, &pending, step).await? {
            return Err(Error::FailedPrecondition(
                "the enrolment changed meanwhile; enrol again".into(),
            ));
        }
        tracing::info!(user_id = %user, "totp enabled");
        Ok(())
    }

    /// Turns TOTP off once the password and a current code are shown.
    pub async fn disable_totp(&self, user: Uuid, password: &str, code: &str) -> Result<(), Error> {
        let account = self.account(user).await?;
        let Some(sealed) = account.totp_secret.clone() else {
            return Err(Error::FailedPrecondition("totp is not enabled".into()));
        };
        if !self.check_password(&account, password).await? {
            return Err(Error::Unauthenticated("invalid password".into()));
        }
        if !self.check_totp(&account, &sealed, code).await? {
            return Err(Error::Unauthenticated("invalid totp code".into()));
        }
        self.repo.disable_totp(user).await?;
        tracing::info!(user_id = %user, "totp disabled");
        Ok(())
    }
}

fn already_enabled() -> Error {
    Error::FailedPrecondition("totp is already enabled; disable it first".into())
}
