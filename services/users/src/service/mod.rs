//! The users service's behaviour behind the gRPC surface: sign-up, sign-in, sessions
//! (service/session.rs) and the account's own settings (service/account.rs). Handlers in
//! grpc.rs decode and check requests, then call these.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use crm_kit::Role;
use crm_kit::auth::TokenSigner;
use crm_kit::auth::tokens::{ACCESS_TOKEN_TTL_SECS, AccessClaims};
use uuid::Uuid;

use crate::domain::sealing::Sealer;
use crate::domain::{Account, User, lockout, password, refresh, totp};
use crate::error::Error;
use crate::orgs::{Membership, Organisations};
use crate::repo::{NewRefresh, Repo, now};

mod account;
mod session;

pub use account::Enrolment;
pub use session::{LoginInput, SignUpInput};

/// Tokens handed to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedTokens {
    /// The signed access token.
    pub access_token: String,
    /// When it expires.
    pub access_expires_at: DateTime<Utc>,
    /// The opaque refresh token.
    pub refresh_token: String,
    /// When it expires.
    pub refresh_expires_at: DateTime<Utc>,
    /// The organisation the access token is scoped to.
    pub organisation_id: Option<Uuid>,
    /// The role it carries there.
    pub role: Option<Role>,
}

/// A signed-in user and their tokens.
#[derive(Debug, Clone)]
pub struct Session {
    /// The user.
    pub user: User,
    /// The tokens.
    pub tokens: IssuedTokens,
}

/// A public key that verifies access tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    /// Key id.
    pub kid: String,
    /// Raw Ed25519 public key, base64url without padding.
    pub x: String,
}

/// Everything the handlers need.
#[derive(Debug, Clone)]
pub struct Users {
    repo: Repo,
    orgs: Organisations,
    signer: TokenSigner,
    sealer: Sealer,
    dummy_hash: Arc<str>,
}

fn seconds(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

impl Users {
    /// Returns the service over its store, the organisations service, the token signer,
    /// the TOTP sealer and a hash of a random password (see [`password::dummy_hash`]).
    pub fn new(
        repo: Repo,
        orgs: Organisations,
        signer: TokenSigner,
        sealer: Sealer,
        dummy_hash: String,
    ) -> Self {
        Self {
            repo,
            orgs,
            signer,
            sealer,
            dummy_hash: dummy_hash.into(),
        }
    }

    /// Returns the keys that verify the tokens this service signs.
    pub fn public_keys(&self) -> Vec<PublicKey> {
        vec![PublicKey {
            kid: self.signer.kid().to_owned(),
            x: self.signer.public_x(),
        }]
    }

    async fn account(&self, id: Uuid) -> Result<Account, Error> {
        self.repo.get(id).await?.ok_or(Error::UserNotFound(id))
    }

    /// Returns the argon2id hash of `password`, computed off the async threads.
    async fn hash_password(&self, password: String) -> Result<String, Error> {
        tokio::task::spawn_blocking(move || password::hash(&password))
            .await
            .map_err(|e| Error::Crypto(e.to_string()))?
            .map_err(Error::from)
    }

    /// Returns whether `password` matches `stored`, computed off the async threads.
    async fn password_matches(&self, password: &str, stored: &str) -> Result<bool, Error> {
        let (password, stored) = (password.to_owned(), stored.to_owned());
        tokio::task::spawn_blocking(move || password::verify(&password, &stored))
            .await
            .map_err(|e| Error::Crypto(e.to_string()))
    }

    /// Spends the time of a password check without an account to check, so an unknown
    /// e-mail or a locked account answers as slowly as a wrong password.
    async fn burn(&self, password: &str) -> Result<(), Error> {
        let dummy = self.dummy_hash.clone();
        self.password_matches(password, &dummy).await.map(drop)
    }

    /// Returns whether `password` is the account's. A locked account matches nothing; a
    /// wrong password counts towards the lock.
    async fn check_password(&self, account: &Account, password: &str) -> Result<bool, Error> {
        let now = now();
        if lockout::is_locked(account.locked_until, now) {
            self.burn(password).await?;
            return Ok(false);
        }
        if self
            .password_matches(password, &account.password_hash)
            .await?
        {
            return Ok(true);
        }
        if self.repo.record_failure(account.user.id, now).await? {
            tracing::warn!(user_id = %account.user.id, "account locked after repeated failures");
        }
        Ok(false)
    }

    /// Returns whether `code` is a current code of the account's active secret, never
    /// accepted before. A wrong code counts towards the lock.
    async fn check_totp(&self, account: &Account, sealed: &str, code: &str) -> Result<bool, Error> {
        let id = account.user.id;
        let secret = self.sealer.open(sealed, id.as_bytes())?;
        let now = now();
        let step = totp::verify(
            &secret,
            code,
            seconds(now).max(0) as u64,
            account.totp_last_step,
        )?;
        let accepted = match step {
            Some(step) => self.repo.accept_totp_step(id, step).await?,
            None => false,
        };
        if !accepted {
            self.repo.record_failure(id, now).await?;
        }
        Ok(accepted)
    }

    /// Returns tokens for `user` scoped to `membership`, and the refresh token to store
    /// in `family`.
    fn mint(
        &self,
        user: Uuid,
        membership: Option<Membership>,
        family: Uuid,
    ) -> Result<(IssuedTokens, NewRefresh), Error> {
        let now = now();
        let claims = AccessClaims::new(
            user,
            membership.map(|m| m.organisation_id),
            membership.map(|m| m.role),
            seconds(now),
        )
        .with_commercial(membership.and_then(|m| m.commercial_id));
        let access_token = self.signer.sign(&claims)?;
        let (refresh_token, token_hash) = refresh::generate()?;
        let refresh_expires_at = now + refresh::ttl();
        let tokens = IssuedTokens {
            access_token,
            access_expires_at: now + Duration::seconds(ACCESS_TOKEN_TTL_SECS),
            refresh_token,
            refresh_expires_at,
            organisation_id: membership.map(|m| m.organisation_id),
            role: membership.map(|m| m.role),
        };
        let stored = NewRefresh {
            user_id: user,
            family_id: family,
            token_hash,
            organisation_id: membership.map(|m| m.organisation_id),
            expires_at: refresh_expires_at,
        };
        Ok((tokens, stored))
    }

    /// Returns tokens starting a new refresh family (a new sign-in).
    async fn start_session(
        &self,
        user: Uuid,
        membership: Option<Membership>,
    ) -> Result<IssuedTokens, Error> {
        let (tokens, stored) = self.mint(user, membership, Uuid::now_v7())?;
        self.repo.insert_refresh(stored).await?;
        Ok(tokens)
    }
}
