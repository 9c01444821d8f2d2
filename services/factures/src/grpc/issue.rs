//! IssueInvoice: the draft is checked, the organisation, the client and the rates of the
//! issue date are read (before any transaction), the mentions computed, and the store
//! numbers and writes it in one transaction. The VAT rate of each category is the one in
//! force on the issue date (the date the invoice is made out; for the services billed
//! here VAT falls due on it).

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use crm_kit::RequestContext;
use crm_proto::factures::v1 as pb;
use futures::future::try_join_all;

use super::{InvoicesApi, actor, check_writer, id_of, tenant};
use crate::domain::issue::{self, Context, Prepared};
use crate::domain::state::{Action, refusal};
use crate::domain::{Buyer, ClientKind, Invoice, Issued, Status, VatCategory, Visibility};
use crate::error::Error;
use crate::remote::{ClientFacts, OrgFacts};

/// Returns `draft` issued with `prepared` under `number`.
pub(super) fn issued_invoice(
    draft: &Invoice,
    prepared: Prepared,
    org: &OrgFacts,
    client: &ClientFacts,
    issue_date: NaiveDate,
    number: String,
) -> Invoice {
    let mut next = draft.clone();
    next.status = Status::Issued;
    next.client_commercial_id = client.commercial_id;
    next.lines = prepared.lines;
    next.issued = Some(Issued {
        number,
        issue_date,
        due_date: prepared.due_date,
        payment_terms_days: prepared.payment_terms_days,
        seller: org.seller.clone(),
        buyer: client.buyer.clone(),
        subtotals: prepared.subtotals,
        totals: prepared.totals,
        late_penalty_rate_bps: prepared.late_penalty_rate_bps,
        mentions: prepared.mentions,
    });
    next
}

impl InvoicesApi {
    /// Returns the rate of each of `categories` in the organisation's country on `date`
    /// (categories referentiel does not know are left out; issuing reports them).
    pub(super) async fn rates(
        &self,
        ctx: &RequestContext,
        org: &OrgFacts,
        categories: impl IntoIterator<Item = VatCategory>,
        date: NaiveDate,
    ) -> Result<HashMap<VatCategory, i32>, Error> {
        let wanted: BTreeSet<VatCategory> = categories.into_iter().collect();
        let found = try_join_all(wanted.into_iter().map(|c| async move {
            let rate = self.remote.vat_rate(ctx, &org.country, c, date).await?;
            Ok::<_, Error>(rate.map(|r| (c, r)))
        }))
        .await?;
        Ok(found.into_iter().flatten().collect())
    }

    /// Returns the B2B late-penalty rate on `date` when `buyer` is a company.
    pub(super) async fn penalty_rate_for(
        &self,
        ctx: &RequestContext,
        buyer: &Buyer,
        date: NaiveDate,
    ) -> Result<Option<i32>, Error> {
        match buyer.kind {
            ClientKind::Company => self.remote.late_penalty_rate(ctx, date).await,
            ClientKind::Person => Ok(None),
        }
    }

    pub(super) async fn issue(
        &self,
        ctx: &RequestContext,
        req: &pb::IssueInvoiceRequest,
    ) -> Result<Invoice, Error> {
        check_writer(ctx)?;
        let tenant = tenant(ctx)?;
        let id = id_of(&req.invoice_id, "invoice_id")?;
        let current = self.repo.get(tenant, id, &Visibility::All).await?;
        if req.version != 0 && req.version != current.version {
            return Err(Error::VersionMismatch {
                id,
                expected: req.version,
                current: current.version,
            });
        }
        if let Some(why) = refusal(current.kind, current.status, Action::Issue) {
            return Err(Error::FailedPrecondition(why));
        }
        let (org, client) = futures::try_join!(
            self.organisation(ctx),
            self.remote.client(ctx, current.client_id)
        )?;
        let client = client.ok_or_else(|| {
            Error::Unissuable(vec![(
                "client".into(),
                "the client no longer exists in the organisation".into(),
            )])
        })?;
        let today = org.today();
        let categories = current.lines.iter().map(|l| l.vat_category);
        let (rates, late) = futures::try_join!(
            self.rates(ctx, &org, categories, today),
            self.penalty_rate_for(ctx, &client.buyer, today)
        )?;
        let prepared = issue::prepare(
            &current.lines,
            &Context {
                seller: &org.seller,
                buyer: &client.buyer,
                issue_date: today,
                policy: &org.policy,
                rates: &rates,
                late_penalty_rate_bps: late,
            },
        )
        .map_err(Error::Unissuable)?;
        self.repo
            .issue(
                tenant,
                id,
                current.version,
                (&org.invoice_prefix, today),
                |draft, number| issued_invoice(draft, prepared, &org, &client, today, number),
                &actor(ctx),
            )
            .await
    }
}
