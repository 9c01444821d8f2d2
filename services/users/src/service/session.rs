//! Signing up, signing in, refreshing, signing out and switching organisation.

use crm_kit::{RequestContext, Role};
use uuid::Uuid;

use super::{IssuedTokens, Session, Users};
use crate::domain::{UserStatus, refresh};
use crate::error::{Error, INVALID_CREDENTIALS};
use crate::orgs::Membership;
use crate::repo::{NewAccount, now};

/// A checked SignUp request.
#[derive(Debug, Clone)]
pub struct SignUpInput {
    /// Normalised e-mail address.
    pub email: String,
    /// Password, 12 to 128 characters.
    pub password: String,
    /// Display name.
    pub display_name: String,
    /// Name of the organisation to create.
    pub organisation_name: String,
}

/// A checked Login request.
#[derive(Debug, Clone)]
pub struct LoginInput {
    /// E-mail address as typed.
    pub email: String,
    /// Password.
    pub password: String,
    /// Six-digit code, when given.
    pub totp_code: Option<String>,
    /// Organisation to act in; the first one joined when `None`.
    pub organisation_id: Option<Uuid>,
}

fn invalid_credentials() -> Error {
    Error::Unauthenticated(INVALID_CREDENTIALS.into())
}

impl Users {
    /// Creates the account and its organisation (owned by it), and signs it in there.
    /// The account, with its `user.created` event, is committed only once the
    /// organisation exists; `traceparent` is the request's trace.
    pub async fn sign_up(
        &self,
        input: SignUpInput,
        traceparent: Option<String>,
    ) -> Result<Session, Error> {
        if self.repo.find_by_email(&input.email).await?.is_some() {
            return Err(Error::EmailTaken);
        }
        let password_hash = self.hash_password(input.password).await?;
        let new = NewAccount {
            id: Uuid::now_v7(),
            email: input.email,
            display_name: input.display_name,
            password_hash,
        };
        let orgs = self.orgs.clone();
        let name = input.organisation_name;
        // The user id doubles as the request id, so a retried call from inside this
        // transaction cannot create a second organisation.
        let (user, organisation_id) = self
            .repo
            .create_then(new, traceparent, |user| async move {
                orgs.create(user.id, &name, user.id).await
            })
            .await?;
        tracing::info!(user_id = %user.id, %organisation_id, "account created");
        let owner = Membership {
            organisation_id,
            role: Role::Owner,
            commercial_id: None,
        };
        let tokens = self.start_session(user.id, Some(owner)).await?;
        Ok(Session { user, tokens })
    }

    /// Signs a user in. Unknown e-mail, wrong password, locked and disabled accounts all
    /// get the same answer; a TOTP problem is named only once the password is right.
    pub async fn login(&self, input: LoginInput) -> Result<Session, Error> {
        let Some(account) = self.repo.find_by_email(&input.email).await? else {
            self.burn(&input.password).await?;
            return Err(invalid_credentials());
        };
        let id = account.user.id;
        if !self.check_password(&account, &input.password).await? {
            return Err(invalid_credentials());
        }
        if account.user.status != UserStatus::Active {
            return Err(invalid_credentials());
        }
        if let Some(sealed) = &account.totp_secret {
            let Some(code) = &input.totp_code else {
                self.repo.record_failure(id, now()).await?;
                return Err(Error::Unauthenticated("totp code required".into()));
            };
            if !self.check_totp(&account, sealed, code).await? {
                return Err(Error::Unauthenticated("invalid totp code".into()));
            }
        }
        self.repo.clear_failures(id).await?;
        let membership = match input.organisation_id {
            Some(org) => Some(
                self.orgs
                    .membership(None, id, org)
                    .await?
                    .ok_or(Error::NotMember(org))?,
            ),
            None => self.orgs.first_membership(id).await?,
        };
        let tokens = self.start_session(id, membership).await?;
        tracing::info!(user_id = %id, "signed in");
        Ok(Session {
            user: account.user,
            tokens,
        })
    }

    /// Exchanges a refresh token for a new pair in the same family, with the membership
    /// read again (a changed role shows, a removed member loses the organisation).
    /// Presenting a spent or revoked token revokes the whole family.
    pub async fn refresh(&self, token: &str) -> Result<IssuedTokens, Error> {
        let Some(record) = self.repo.find_refresh(&refresh::hash(token)).await? else {
            return Err(Error::Unauthenticated("invalid refresh token".into()));
        };
        if record.used || record.revoked {
            self.repo.revoke_family(record.family_id).await?;
            if record.used {
                tracing::warn!(user_id = %record.user_id, family = %record.family_id, "refresh token reused; family revoked");
                return Err(Error::Unauthenticated(
                    "refresh token already used; the session is revoked".into(),
                ));
            }
            return Err(Error::Unauthenticated("refresh token revoked".into()));
        }
        if record.expires_at <= now() {
            return Err(Error::Unauthenticated("refresh token expired".into()));
        }
        let active = self
            .repo
            .get(record.user_id)
            .await?
            .is_some_and(|a| a.user.status == UserStatus::Active);
        if !active {
            self.repo.revoke_family(record.family_id).await?;
            return Err(Error::Unauthenticated("invalid refresh token".into()));
        }
        let membership = match record.organisation_id {
            Some(org) => self.orgs.membership(None, record.user_id, org).await?,
            None => None,
        };
        let (tokens, next) = self.mint(record.user_id, membership, record.family_id)?;
        if !self.repo.rotate(record.id, next).await? {
            // Another exchange of the same token won the race: that is reuse too.
            self.repo.revoke_family(record.family_id).await?;
            return Err(Error::Unauthenticated(
                "refresh token already used; the session is revoked".into(),
            ));
        }
        Ok(tokens)
    }

    /// Revokes the family of a refresh token; an unknown token is already signed out.
    pub async fn logout(&self, token: &str) -> Result<(), Error> {
        if let Some(record) = self.repo.find_refresh(&refresh::hash(token)).await? {
            self.repo.revoke_family(record.family_id).await?;
        }
        Ok(())
    }

    /// Returns a new token pair (a new family) scoped to `org`, where the caller must be
    /// a member.
    pub async fn switch_organisation(
        &self,
        ctx: &RequestContext,
        user: Uuid,
        org: Uuid,
    ) -> Result<IssuedTokens, Error> {
        let account = self.account(user).await?;
        if account.user.status != UserStatus::Active {
            return Err(Error::Unauthenticated("the account is disabled".into()));
        }
        let membership = self
            .orgs
            .membership(Some(ctx), user, org)
            .await?
            .ok_or(Error::NotMember(org))?;
        self.start_session(user, Some(membership)).await
    }
}
