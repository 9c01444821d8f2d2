//! The custom methods: each checks its input, answers a wrong status before asking
//! other services anything, reads what it needs from them, then changes the contract
//! and writes its event in one transaction.

use crm_db::Tenant;
use crm_kit::RequestContext;
use crm_proto::contrats::v1 as pb;
use uuid::Uuid;

use super::{ContractsApi, actor, date_or, effective_date, id_of, invalid, latest_today, today};
use crate::convert::{Violations, date_from_proto, optional_uuid, termination_cause};
use crate::domain::lifecycle::{self, Action, transition};
use crate::domain::pricing::{self, check_client, check_commercial, check_mandate};
use crate::domain::validate::{self, MAX_TEXT};
use crate::domain::{Contract, PaymentMethod, Signature, Suspension, Termination};
use crate::error::Error;
use crate::events;
use crate::remote::Lookup;
use crate::repo::Expect;

/// Longest signer name.
const MAX_SIGNER_NAME: usize = 200;

impl ContractsApi {
    /// Returns the contract as the caller may see it, checked against the version the
    /// caller read and the status `action` needs: the state read before other services
    /// are asked anything.
    pub(super) async fn snapshot(
        &self,
        ctx: &RequestContext,
        tenant: Tenant,
        id: Uuid,
        version: i64,
        action: Action,
    ) -> Result<Contract, Error> {
        let current = self
            .repo
            .get(tenant, id, self.visibility(ctx).await?)
            .await?;
        if version != 0 && version != current.version {
            return Err(Error::VersionMismatch {
                id,
                expected: version,
                current: current.version,
            });
        }
        transition(current.status, action)?;
        Ok(current)
    }

    pub(super) async fn send_for_signature(
        &self,
        ctx: &RequestContext,
        tenant: Tenant,
        req: &pb::SendForSignatureRequest,
    ) -> Result<Contract, Error> {
        let id = id_of(&req.contract_id, "contract_id")?;
        let expect = Expect {
            caller: req.version,
            snapshot: None,
        };
        self.repo
            .update(
                tenant,
                id,
                self.visibility(ctx).await?,
                expect,
                |c| {
                    let mut next = c.clone();
                    next.status = transition(c.status, Action::SendForSignature)?;
                    Ok(next)
                },
                // No event type exists for it (spec/events.md).
                |_, _| None,
            )
            .await
    }

    pub(super) async fn sign(
        &self,
        ctx: &RequestContext,
        tenant: Tenant,
        req: &pb::SignContractRequest,
    ) -> Result<Contract, Error> {
        let mut v = Violations::new();
        let id = optional_uuid(&req.contract_id, "contract_id", &mut v);
        let signer = validate::text(
            &req.signer_name,
            MAX_SIGNER_NAME,
            true,
            "signer_name",
            &mut v,
        );
        let date = date_or(
            req.signature_date.as_ref(),
            today(),
            "signature_date",
            &mut v,
        );
        if date.is_some_and(|d| d > latest_today()) {
            v.push(("signature_date".into(), "must not be in the future".into()));
        }
        let given_mandate =
            validate::mandate_reference(&req.mandate_reference, None, "mandate_reference", &mut v);
        let id = required(id, &req.contract_id, v)?;
        let date = parsed(date)?;
        let current = self
            .snapshot(ctx, tenant, id, req.version, Action::Sign)
            .await?;
        let terms = &current.terms;
        if given_mandate.is_some() && terms.payment_method != PaymentMethod::Sepa {
            return Err(Error::InvalidArgument(vec![(
                "mandate_reference".into(),
                "only a SEPA contract has a mandate reference".into(),
            )]));
        }
        let mandate = given_mandate.or_else(|| terms.mandate_reference.clone());
        // Prices are those in force on the signature date: what the client agreed to.
        let lookup = Lookup {
            client: Some(terms.client_id),
            commercial: Some(terms.commercial_id),
            products: terms.lines.iter().map(|l| l.product_id).collect(),
            price_on: Some(date),
            mandate: mandate
                .clone()
                .filter(|_| terms.payment_method == PaymentMethod::Sepa),
        };
        let found = self.remote.look_up(ctx, &lookup).await?;
        let mut problems = Violations::new();
        let client = found.client.flatten();
        check_client(client.as_ref(), "client_id", &mut problems);
        check_commercial(
            found.commercial.flatten().as_ref(),
            "commercial_id",
            &mut problems,
        );
        let requested = validate::Draft::of(terms).lines;
        let lines = pricing::price_lines(
            &requested,
            &found.products,
            &[],
            date,
            "lines",
            &mut problems,
        );
        // A SEPA contract is signed only with an active mandate of its client, which the
        // payments service holds.
        if terms.payment_method == PaymentMethod::Sepa {
            match &found.mandate {
                Some(m) => check_mandate(
                    m.as_ref(),
                    terms.client_id,
                    "mandate_reference",
                    &mut problems,
                ),
                None => problems.push((
                    "mandate_reference".into(),
                    "a SEPA contract needs a mandate reference to be signed".into(),
                )),
            }
        }
        let Some(client) = client.filter(|_| problems.is_empty()) else {
            return Err(Error::Unusable(problems));
        };
        let who = actor(ctx);
        let expect = Expect {
            caller: req.version,
            snapshot: Some(current.version),
        };
        self.repo
            .update(
                tenant,
                id,
                self.visibility(ctx).await?,
                expect,
                |c| {
                    let mut next = c.clone();
                    next.status = transition(c.status, Action::Sign)?;
                    next.terms.lines = lines;
                    next.terms.mandate_reference = mandate;
                    next.signature = Some(Signature {
                        date,
                        signer_name: signer,
                        client_kind: client.kind,
                    });
                    Ok(next)
                },
                |_, after| events::signed(after, &who),
            )
            .await
    }

    pub(super) async fn suspend(
        &self,
        ctx: &RequestContext,
        tenant: Tenant,
        req: &pb::SuspendContractRequest,
    ) -> Result<Contract, Error> {
        let mut v = Violations::new();
        let id = optional_uuid(&req.contract_id, "contract_id", &mut v);
        let reason = validate::text(&req.reason, MAX_TEXT, true, "reason", &mut v);
        let date = effective_date(req.effective_date.as_ref(), &mut v);
        let dunning_case_id = optional_uuid(&req.dunning_case_id, "dunning_case_id", &mut v);
        let id = required(id, &req.contract_id, v)?;
        let date = parsed(date)?;
        let who = actor(ctx);
        self.change(
            ctx,
            tenant,
            (id, req.version),
            Action::Suspend,
            |c, next| {
                lifecycle::check_suspension(c, date, latest_today())?;
                next.suspension = Some(Suspension {
                    date,
                    reason,
                    dunning_case_id,
                });
                Ok(())
            },
            |after| events::suspended(after, &who),
        )
        .await
    }

    pub(super) async fn resume(
        &self,
        ctx: &RequestContext,
        tenant: Tenant,
        req: &pb::ResumeContractRequest,
    ) -> Result<Contract, Error> {
        let mut v = Violations::new();
        let id = optional_uuid(&req.contract_id, "contract_id", &mut v);
        let date = effective_date(req.effective_date.as_ref(), &mut v);
        let id = required(id, &req.contract_id, v)?;
        let date = parsed(date)?;
        let who = actor(ctx);
        self.change(
            ctx,
            tenant,
            (id, req.version),
            Action::Resume,
            |c, next| {
                lifecycle::check_resumption(c, date, latest_today())?;
                next.suspension = None;
                Ok(())
            },
            |after| Some(events::resumed(after, date, &who)),
        )
        .await
    }

    pub(super) async fn terminate(
        &self,
        ctx: &RequestContext,
        tenant: Tenant,
        req: &pb::TerminateContractRequest,
    ) -> Result<Contract, Error> {
        let mut v = Violations::new();
        let id = optional_uuid(&req.contract_id, "contract_id", &mut v);
        let date = match &req.termination_date {
            Some(d) => date_from_proto(d, "termination_date", &mut v),
            None => {
                v.push(("termination_date".into(), "is required".into()));
                None
            }
        };
        let cause = termination_cause(req.cause, "cause", &mut v);
        let reason = validate::text(&req.reason, MAX_TEXT, false, "reason", &mut v);
        let id = required(id, &req.contract_id, v)?;
        let (date, cause) = (parsed(date)?, parsed(cause)?);
        let latest = latest_today();
        let who = actor(ctx);
        self.change(
            ctx,
            tenant,
            (id, req.version),
            Action::Terminate,
            |c, next| {
                lifecycle::check_termination(c, cause, date, latest)?;
                next.suspension = None;
                next.termination = Some(Termination {
                    date,
                    cause,
                    reason,
                });
                Ok(())
            },
            |after| events::terminated(after, &who),
        )
        .await
    }

    pub(super) async fn cancel(
        &self,
        ctx: &RequestContext,
        tenant: Tenant,
        req: &pb::CancelContractRequest,
    ) -> Result<Contract, Error> {
        let mut v = Violations::new();
        let id = optional_uuid(&req.contract_id, "contract_id", &mut v);
        let reason = validate::text(&req.reason, MAX_TEXT, false, "reason", &mut v);
        let id = required(id, &req.contract_id, v)?;
        let who = actor(ctx);
        self.change(
            ctx,
            tenant,
            (id, req.version),
            Action::Cancel,
            |_, next| {
                next.cancellation_reason = Some(reason);
                Ok(())
            },
            |after| Some(events::cancelled(after, &who)),
        )
        .await
    }

    /// Applies a status change that needs nothing from other services: `action` moves
    /// the status, `apply` checks the contract and fills `next`, `describe` gives the
    /// event of the result.
    async fn change<F, D>(
        &self,
        ctx: &RequestContext,
        tenant: Tenant,
        (id, version): (Uuid, i64),
        action: Action,
        apply: F,
        describe: D,
    ) -> Result<Contract, Error>
    where
        F: FnOnce(&Contract, &mut Contract) -> Result<(), Error>,
        D: FnOnce(&Contract) -> Option<crm_events::NewEvent>,
    {
        let expect = Expect {
            caller: version,
            snapshot: None,
        };
        self.repo
            .update(
                tenant,
                id,
                self.visibility(ctx).await?,
                expect,
                |c| {
                    let mut next = c.clone();
                    next.status = transition(c.status, action)?;
                    apply(c, &mut next)?;
                    Ok(next)
                },
                |_, after| describe(after),
            )
            .await
    }
}

/// Returns the contract id once the request has no violation (an empty id is one).
pub(super) fn required(id: Option<Uuid>, text: &str, mut v: Violations) -> Result<Uuid, Error> {
    if text.trim().is_empty() {
        v.insert(0, ("contract_id".into(), "is required".into()));
    }
    invalid(v)?;
    id.ok_or_else(|| Error::InvalidArgument(vec![("contract_id".into(), "is required".into())]))
}

/// Returns a value parsed from a request whose violations were all answered: every
/// field that fails to parse records one, so `None` cannot reach here.
pub(super) fn parsed<T>(value: Option<T>) -> Result<T, Error> {
    value.ok_or_else(|| Error::InvalidArgument(vec![("request".into(), "is incomplete".into())]))
}
