//! AmendContract: an avenant of an ACTIVE contract from an effective date.

use chrono::{SubsecRound as _, Utc};
use crm_db::Tenant;
use crm_kit::RequestContext;
use crm_proto::contrats::v1 as pb;
use uuid::Uuid;

use super::lifecycle::{parsed, required};
use super::{ContractsApi, actor, invalid};
use crate::convert::input;
use crate::convert::{Violations, optional_uuid};
use crate::domain::lifecycle::{self, Action, transition};
use crate::domain::pricing;
use crate::domain::{Amendment, Contract, PaymentMethod};
use crate::error::Error;
use crate::events;
use crate::remote::Lookup;
use crate::repo::Expect;

impl ContractsApi {
    /// Records an amendment: products already on the contract keep their signed price.
    pub(super) async fn amend(
        &self,
        ctx: &RequestContext,
        tenant: Tenant,
        req: &pb::AmendContractRequest,
    ) -> Result<Contract, Error> {
        let mut v = Violations::new();
        let id = optional_uuid(&req.contract_id, "contract_id", &mut v);
        let change = input::amendment(req, &mut v);
        let id = required(id, &req.contract_id, v)?;
        let date = parsed(change.effective_date)?;
        let current = self
            .snapshot(ctx, tenant, id, req.version, Action::Amend)
            .await?;
        lifecycle::check_amendment_date(&current, date)?;
        let terms = &current.terms;
        // Products already on the contract keep their signed price; new ones are priced
        // on the effective date.
        let new_products = change
            .lines
            .iter()
            .flatten()
            .map(|l| l.product_id)
            .filter(|p| !terms.lines.iter().any(|l| l.product_id == *p))
            .collect();
        let lookup = Lookup {
            products: new_products,
            price_on: Some(date),
            mandate: None,
            ..Lookup::default()
        };
        let found = self.remote.look_up(ctx, &lookup).await?;
        let mut v = Violations::new();
        let lines = match &change.lines {
            Some(requested) => pricing::price_lines(
                requested,
                &found.products,
                &terms.lines,
                date,
                "lines",
                &mut v,
            ),
            None => terms.lines.clone(),
        };
        let method = change.payment_method.unwrap_or(terms.payment_method);
        let mandate = match &change.mandate_reference {
            Some(given) => given.clone(),
            None if method == PaymentMethod::Sepa => terms.mandate_reference.clone(),
            None => None,
        };
        if method != PaymentMethod::Sepa && matches!(change.mandate_reference, Some(Some(_))) {
            v.push((
                "mandate_reference".into(),
                "only a SEPA contract has a mandate reference".into(),
            ));
        }
        if method == PaymentMethod::Sepa && mandate.is_none() {
            v.push((
                "mandate_reference".into(),
                "a SEPA contract needs a mandate reference".into(),
            ));
        }
        invalid(v)?;
        let billing_day = change.billing_day.unwrap_or(terms.billing_day);
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
                    transition(c.status, Action::Amend)?;
                    lifecycle::check_amendment_date(c, date)?;
                    let amendment = Amendment {
                        id: Uuid::now_v7(),
                        sequence: c.amendments.len() as i32 + 1,
                        effective_date: date,
                        reason: change.reason,
                        changed_fields: change.changed,
                        lines,
                        billing_day,
                        payment_method: method,
                        mandate_reference: mandate,
                        created_at: Utc::now().trunc_subsecs(6),
                        created_by: who.user_id,
                    };
                    let mut next = c.clone();
                    next.terms.lines = amendment.lines.clone();
                    next.terms.billing_day = billing_day;
                    next.terms.payment_method = method;
                    next.terms.mandate_reference = amendment.mandate_reference.clone();
                    next.amendments.push(amendment);
                    Ok(next)
                },
                |_, after| {
                    after
                        .amendments
                        .last()
                        .map(|a| events::amended(after, a, &who))
                },
            )
            .await
    }
}
