//! The changes the service makes to chains, each inside the caller's transaction (an
//! event consumer's delivery or an RPC's): record a rejection and decide, record a
//! payment, stop chains, record what RunDue got from payments. Events go into the outbox
//! through the same transaction.

use chrono::NaiveDate;
use crm_db::Tenant;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::domain::dates::window_end;
use crate::domain::{
    Attempt, AttemptStatus, Chain, ChainState, Decision, History, Money, ReasonClass, Rejection,
    StopReason, decide,
};
use crate::error::Error;
use crate::events::{self, Actor};
use crate::repo::{self, now};

/// A rejection as payment.rejected reports it.
#[derive(Debug, Clone)]
pub struct Rejected {
    /// The rejected payment.
    pub payment_id: Uuid,
    /// The instalment, if any.
    pub instalment_id: Option<Uuid>,
    /// The invoice, if any.
    pub invoice_id: Option<Uuid>,
    /// The mandate, if given.
    pub mandate_id: Option<Uuid>,
    /// The client, if given.
    pub client_id: Option<Uuid>,
    /// The contract, if any.
    pub contract_id: Option<Uuid>,
    /// Amount not collected.
    pub amount: Money,
    /// Reason code, uppercase.
    pub code: String,
    /// Its class, when given.
    pub class: Option<ReasonClass>,
    /// Presentation number of the rejected payment (1 for the first).
    pub attempt_number: u32,
    /// Day of the rejection, when given.
    pub rejection_date: Option<NaiveDate>,
    /// Country of the debtor's account (two uppercase letters), when given.
    pub debtor_country: Option<String>,
}

/// What became of a rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The chain decided: the decision.
    Decided(Decision),
    /// The rejection was known already, or the chain no longer retries.
    Ignored,
}

/// Records the rejection `r` on `today` and takes the decision it calls for, with its
/// event. A payment made by an attempt continues that attempt's chain; a payment that
/// opened a chain already is a repeated report and changes nothing; any other payment
/// opens a chain.
pub async fn record_rejection<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    r: &Rejected,
    today: NaiveDate,
    actor: &Actor,
) -> Result<Recorded, Error> {
    let date = r.rejection_date.unwrap_or(today);
    let (mut chain, stored_version) =
        match repo::attempt_by_new_payment(db, tenant, r.payment_id).await? {
            Some(attempt) => {
                let Some(chain) = fail_attempt(db, tenant, attempt, r).await? else {
                    return Ok(Recorded::Ignored);
                };
                let version = chain.version;
                (chain, Some(version))
            }
            None => {
                if repo::chain_by_root(db, tenant, r.payment_id)
                    .await?
                    .is_some()
                {
                    return Ok(Recorded::Ignored);
                }
                (open_chain(tenant, r, date), None)
            }
        };
    chain.last_reason_code = r.code.clone();
    chain.presentations = chain.presentations.max(r.attempt_number);
    chain.last_failure_date = date;
    chain.current_payment_id = r.payment_id;
    chain.stop_reason = None;
    let policy = repo::load_policy(db, tenant).await?.policy;
    chain.window_end_date = window_end(chain.first_rejection_date, policy.window_days)
        .unwrap_or(chain.first_rejection_date);
    let attempts = repo::attempts_of(db, tenant, &[chain.id]).await?;
    let retries_for_code = attempts.get(&chain.id).map_or(0, |list| {
        list.iter().filter(|a| a.reason_code == r.code).count()
    });
    let history = History {
        first_rejection: chain.first_rejection_date,
        presentations: chain.presentations,
        retries_for_code: u32::try_from(retries_for_code).unwrap_or(u32::MAX),
    };
    let rejection = Rejection {
        code: r.code.clone(),
        class: r.class,
        date,
        debtor_country: r.debtor_country.clone(),
    };
    let decision = decide(&policy, &history, &rejection, today);
    chain.updated_at = now();
    chain.version = stored_version.unwrap_or(0) + 1;
    let mut new_attempt = None;
    match decision {
        Decision::Retry {
            attempt_number,
            scheduled,
            due,
        } => {
            chain.state = ChainState::Scheduled;
            new_attempt = Some(Attempt {
                id: Uuid::now_v7(),
                organisation_id: tenant.id(),
                chain_id: chain.id,
                attempt_number,
                status: AttemptStatus::Scheduled,
                scheduled_date: scheduled,
                due_date: due,
                presented_payment_id: r.payment_id,
                new_payment_id: None,
                collection_date: None,
                reason_code: r.code.clone(),
                failure_reason_code: None,
                client_id: chain.client_id,
                mandate_id: chain.mandate_id,
                invoice_id: chain.invoice_id,
                amount: chain.amount.clone(),
                created_at: chain.updated_at,
                updated_at: chain.updated_at,
            });
        }
        Decision::Stop(reason) => stop(&mut chain, reason),
    }
    match stored_version {
        Some(version) => repo::update_chain(db, version, &chain).await?,
        None => repo::insert_chain(db, &chain).await?,
    }
    if let Some(attempt) = &new_attempt {
        repo::insert_attempt(db, attempt).await?;
        crm_events::append(db, events::scheduled(&chain, attempt, actor)).await?;
    }
    if let Decision::Stop(reason) = decision
        && reason.hands_over()
    {
        crm_events::append(db, events::exhausted(&chain, reason, actor)).await?;
    }
    Ok(Recorded::Decided(decision))
}

/// Returns a chain opened by the rejection `r` on `date`, deciding (WAITING).
fn open_chain(tenant: Tenant, r: &Rejected, date: NaiveDate) -> Chain {
    let at = now();
    Chain {
        id: Uuid::now_v7(),
        organisation_id: tenant.id(),
        root_payment_id: r.payment_id,
        current_payment_id: r.payment_id,
        instalment_id: r.instalment_id,
        invoice_id: r.invoice_id,
        mandate_id: r.mandate_id,
        client_id: r.client_id,
        contract_id: r.contract_id,
        amount: r.amount.clone(),
        state: ChainState::Waiting,
        stop_reason: None,
        presentations: r.attempt_number.max(1),
        last_reason_code: r.code.clone(),
        first_rejection_date: date,
        last_failure_date: date,
        window_end_date: date,
        created_at: at,
        updated_at: at,
        version: 0,
    }
}

/// Marks the attempt that made the rejected payment FAILED and returns its chain, now
/// WAITING for a decision; `None` when the rejection was recorded already or the chain
/// no longer retries (it was stopped while the presentation was in flight).
async fn fail_attempt<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    mut attempt: Attempt,
    r: &Rejected,
) -> Result<Option<Chain>, Error> {
    let before = attempt.status;
    if !matches!(before, AttemptStatus::InFlight | AttemptStatus::Succeeded) {
        return Ok(None);
    }
    attempt.status = AttemptStatus::Failed;
    attempt.failure_reason_code = Some(r.code.clone());
    attempt.updated_at = now();
    repo::update_attempt(db, before, &attempt).await?;
    let mut chain = repo::chain_by_id(db, tenant, attempt.chain_id).await?;
    if chain.current_payment_id != r.payment_id {
        return Ok(None);
    }
    match chain.state.on_rejection() {
        Some(state) => {
            chain.state = state;
            Ok(Some(chain))
        }
        None => Ok(None),
    }
}

/// Sets the closed state `reason` calls for.
fn stop(chain: &mut Chain, reason: StopReason) {
    chain.state = if reason.exhausts() {
        ChainState::Exhausted
    } else {
        ChainState::Aborted
    };
    chain.stop_reason = Some(reason);
}

/// Records that `payment` was received: the attempt that made it SUCCEEDED, and its
/// chain too when the payment is the chain's latest. Returns whether anything changed.
pub async fn record_payment<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    payment: Uuid,
) -> Result<bool, Error> {
    let Some(mut attempt) = repo::attempt_by_new_payment(db, tenant, payment).await? else {
        return Ok(false);
    };
    if attempt.status != AttemptStatus::InFlight {
        return Ok(false);
    }
    attempt.status = AttemptStatus::Succeeded;
    attempt.updated_at = now();
    repo::update_attempt(db, AttemptStatus::InFlight, &attempt).await?;
    let mut chain = repo::chain_by_id(db, tenant, attempt.chain_id).await?;
    if chain.current_payment_id == payment
        && let Some(state) = chain.state.on_paid()
    {
        let version = chain.version;
        chain.state = state;
        chain.stop_reason = None;
        chain.updated_at = attempt.updated_at;
        chain.version += 1;
        repo::update_chain(db, version, &chain).await?;
    }
    Ok(true)
}

/// Stops the open chain `chain` for `reason`: its scheduled attempts ABORTED, the chain
/// EXHAUSTED or ABORTED as the reason says, retry.exhausted when the reason hands the
/// debt over. Returns the chain as stopped, or `None` when it was closed already.
pub async fn stop_chain<C: ConnectionTrait>(
    db: &C,
    mut chain: Chain,
    reason: StopReason,
    actor: &Actor,
) -> Result<Option<Chain>, Error> {
    if chain.state.on_abort().is_none() {
        return Ok(None);
    }
    let tenant = Tenant::new(chain.organisation_id);
    let at = now();
    let attempts = repo::attempts_of(db, tenant, &[chain.id]).await?;
    for mut attempt in attempts.into_values().flatten() {
        if attempt.status == AttemptStatus::Scheduled {
            attempt.status = AttemptStatus::Aborted;
            attempt.updated_at = at;
            repo::update_attempt(db, AttemptStatus::Scheduled, &attempt).await?;
        }
    }
    let version = chain.version;
    stop(&mut chain, reason);
    chain.updated_at = at;
    chain.version += 1;
    repo::update_chain(db, version, &chain).await?;
    if reason.hands_over() {
        crm_events::append(db, events::exhausted(&chain, reason, actor)).await?;
    }
    Ok(Some(chain))
}

/// Stops every open chain of a mandate or an invoice for `reason`, except the chain
/// whose latest payment is `keep` (an invoice paid by that very presentation: its
/// payment.received closes it). Returns how many were stopped.
pub async fn stop_chains<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    of: repo::ChainsOf,
    reason: StopReason,
    keep: Option<Uuid>,
    actor: &Actor,
) -> Result<usize, Error> {
    let mut stopped = 0;
    for chain in repo::open_chains(db, tenant, of).await? {
        if Some(chain.current_payment_id) == keep {
            continue;
        }
        if stop_chain(db, chain, reason, actor).await?.is_some() {
            stopped += 1;
        }
    }
    Ok(stopped)
}

/// Records that payments made `payment` for the attempt `id`, to be collected on
/// `collection`: the attempt IN_FLIGHT, its chain IN_FLIGHT (or still stopped when it was
/// stopped meanwhile, the presentation being recorded all the same). Returns false when
/// another run recorded it first.
pub async fn record_submission<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    id: Uuid,
    payment: Uuid,
    collection: NaiveDate,
) -> Result<bool, Error> {
    let Some(mut attempt) = repo::attempt_by_id(db, tenant, id).await? else {
        return Ok(false);
    };
    let before = attempt.status;
    if !matches!(before, AttemptStatus::Scheduled | AttemptStatus::Aborted) {
        return Ok(false);
    }
    let mut chain = repo::chain_by_id(db, tenant, attempt.chain_id).await?;
    // A presentation is recorded only as the chain's latest.
    if chain.current_payment_id != attempt.presented_payment_id {
        return Ok(false);
    }
    let Some(state) = chain.state.on_submitted() else {
        return Ok(false);
    };
    let at = now();
    attempt.status = AttemptStatus::InFlight;
    attempt.new_payment_id = Some(payment);
    attempt.collection_date = Some(collection);
    attempt.updated_at = at;
    repo::update_attempt(db, before, &attempt).await?;
    let version = chain.version;
    chain.state = state;
    chain.current_payment_id = payment;
    chain.presentations = chain.presentations.max(attempt.attempt_number);
    chain.updated_at = at;
    chain.version += 1;
    repo::update_chain(db, version, &chain).await?;
    Ok(true)
}

/// Stops the chain of the still SCHEDULED attempt `id` for `reason` (payments refused
/// the presentation, or its date fell after the window). Returns false when the attempt
/// is no longer SCHEDULED.
pub async fn stop_attempt<C: ConnectionTrait>(
    db: &C,
    tenant: Tenant,
    id: Uuid,
    reason: StopReason,
    actor: &Actor,
) -> Result<bool, Error> {
    let Some(attempt) = repo::attempt_by_id(db, tenant, id).await? else {
        return Ok(false);
    };
    if attempt.status != AttemptStatus::Scheduled {
        return Ok(false);
    }
    let chain = repo::chain_by_id(db, tenant, attempt.chain_id).await?;
    Ok(stop_chain(db, chain, reason, actor).await?.is_some())
}
