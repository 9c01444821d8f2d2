//! RunBilling and MarkOverdue.
//!
//! A billing run reads the organisation's active contracts from contrats 200 at a time
//! (as the organisation), works out which lines the month bills
//! ([`crate::domain::billing`]), leaves out the contracts already invoiced for the
//! month (read once when the run starts), reads the clients it has not seen yet (every
//! client at once through ExportClients once a run turns out large, one by one
//! otherwise), prepares each invoice with the rates of the issue date, and has the store
//! number and insert each page in one transaction. Running it again for the same month issues nothing more:
//! the counts say so. Each page commits on its own, so a run cut short (deadline, a
//! service down) is finished by running it again.

use std::collections::{HashMap, HashSet};

use crm_kit::RequestContext;
use crm_proto::contrats::v1 as contrats;
use crm_proto::factures::v1 as pb;
use futures::{StreamExt as _, TryStreamExt as _};
use uuid::Uuid;

use super::issue::issued_invoice;
use super::{InvoicesApi, actor, check_writer, invalid, parsed, tenant};
use crate::convert::Violations;
use crate::convert::contract::{Billable, billable};
use crate::convert::input::required_date;
use crate::domain::billing;
use crate::domain::issue::{self, Context};
use crate::domain::{ClientKind, Invoice, Kind, Period, Status, VatCategory};
use crate::error::Error;
use crate::remote::{ClientFacts, OrgFacts};
use crate::repo::now;

/// Problems reported at most in one response.
const MAX_PROBLEMS: usize = 100;
/// Client reads in flight at once.
const CLIENT_READS: usize = 16;
/// ListContracts' page size: a full page means a large run, read clients all at once.
const CONTRACT_PAGE: usize = 200;

/// What a run has read so far, reused page after page.
#[derive(Default)]
struct Seen {
    clients: HashMap<Uuid, Option<ClientFacts>>,
    exported: bool,
    rates: HashMap<VatCategory, i32>,
    asked_rates: Vec<VatCategory>,
    penalty_rate: Option<Option<i32>>,
}

/// What every page of a run shares.
struct Run<'a> {
    org: &'a OrgFacts,
    tenant: crm_db::Tenant,
    month: Period,
    issue_date: chrono::NaiveDate,
    /// The contracts the month had invoiced when the run started.
    billed: HashSet<Uuid>,
}

impl InvoicesApi {
    pub(super) async fn overdue(
        &self,
        ctx: &RequestContext,
        req: &pb::MarkOverdueRequest,
    ) -> Result<u64, Error> {
        check_writer(ctx)?;
        let tenant = tenant(ctx)?;
        let mut v = Violations::new();
        let as_of = required_date(req.as_of.as_ref(), "as_of", &mut v);
        invalid(v)?;
        let marked = self
            .repo
            .mark_overdue(tenant, parsed(as_of)?, &actor(ctx))
            .await?;
        tracing::info!(marked, "invoices marked overdue");
        Ok(marked)
    }

    pub(super) async fn bill(
        &self,
        ctx: &RequestContext,
        req: &pb::RunBillingRequest,
    ) -> Result<pb::RunBillingResponse, Error> {
        check_writer(ctx)?;
        let tenant = tenant(ctx)?;
        let mut v = Violations::new();
        let start = required_date(req.period_start.as_ref(), "period_start", &mut v);
        let end = required_date(req.period_end.as_ref(), "period_end", &mut v);
        let month = match (start, end) {
            (Some(s), Some(e)) => match billing::month(s, e) {
                Ok(m) => Some(m),
                Err(problem) => {
                    let field = if problem.starts_with("must be the first") {
                        "period_start"
                    } else {
                        "period_end"
                    };
                    v.push((field.into(), problem.into()));
                    None
                }
            },
            _ => None,
        };
        invalid(v)?;
        let month = parsed(month)?;
        let org = self.organisation(ctx).await?;
        let issue_date = org.today();
        let mut out = pb::RunBillingResponse::default();
        let mut seen = Seen::default();
        let run = Run {
            org: &org,
            tenant,
            month,
            issue_date,
            billed: self.repo.billed_in_month(tenant, month.start).await?,
        };
        let mut page = self.remote.active_contracts(ctx, "").await?;
        loop {
            let (contracts, next) = page;
            // The next page is read while this one is written.
            let fetch = async {
                if next.is_empty() {
                    Ok(None)
                } else {
                    self.remote.active_contracts(ctx, &next).await.map(Some)
                }
            };
            let work = self.bill_page(ctx, &run, &contracts, &mut seen, &mut out);
            let (fetched, worked) = futures::join!(fetch, work);
            worked?;
            match fetched? {
                Some(p) => page = p,
                None => break,
            }
        }
        tracing::info!(
            month = %month.start,
            seen = out.contracts_seen,
            issued = out.invoices_issued,
            already = out.already_billed,
            failed = out.failed,
            "billing run done"
        );
        Ok(out)
    }

    /// Bills one page of contracts: what each owes, leaving out those already billed,
    /// then the facts, the invoices and one transaction to number and write them.
    async fn bill_page(
        &self,
        ctx: &RequestContext,
        run: &Run<'_>,
        contracts: &[contrats::Contract],
        seen: &mut Seen,
        out: &mut pb::RunBillingResponse,
    ) -> Result<(), Error> {
        out.contracts_seen += i32::try_from(contracts.len()).unwrap_or(i32::MAX);
        let mut due = Vec::new();
        for c in contracts {
            match billable(c, run.month) {
                Ok(Some(b)) => due.push(b),
                Ok(None) => out.nothing_due += 1,
                Err(problem) => problem_of(out, &c.id, problem),
            }
        }
        let before = due.len();
        due.retain(|b| !run.billed.contains(&b.contract_id));
        out.already_billed += i32::try_from(before - due.len()).unwrap_or(i32::MAX);
        let large = contracts.len() >= CONTRACT_PAGE;
        self.read_facts(ctx, run.org, &due, large, run.issue_date, seen)
            .await?;
        let drafts = prepare_page(run, due, seen, out);
        if drafts.is_empty() {
            return Ok(());
        }
        let written = self
            .repo
            .issue_run_batch(
                run.tenant,
                run.month.start,
                &run.org.invoice_prefix,
                run.issue_date,
                drafts,
                &actor(ctx),
            )
            .await?;
        out.invoices_issued += i32::try_from(written.issued).unwrap_or(i32::MAX);
        out.already_billed += i32::try_from(written.already_billed).unwrap_or(i32::MAX);
        Ok(())
    }

    /// Reads the clients, rates and penalty rate the page `due` needs and `seen` lacks.
    async fn read_facts(
        &self,
        ctx: &RequestContext,
        org: &OrgFacts,
        due: &[Billable],
        large: bool,
        issue_date: chrono::NaiveDate,
        seen: &mut Seen,
    ) -> Result<(), Error> {
        if large && !seen.exported {
            seen.exported = true;
            for (id, facts) in self.remote.all_clients(ctx).await? {
                seen.clients.insert(id, Some(facts));
            }
        }
        let mut missing: Vec<Uuid> = due
            .iter()
            .map(|b| b.client_id)
            .filter(|c| !seen.clients.contains_key(c))
            .collect();
        missing.sort_unstable();
        missing.dedup();
        let read: Vec<(Uuid, Option<ClientFacts>)> = futures::stream::iter(missing)
            .map(|id| async move { self.remote.client(ctx, id).await.map(|f| (id, f)) })
            .buffer_unordered(CLIENT_READS)
            .try_collect()
            .await?;
        seen.clients.extend(read);
        let new: Vec<VatCategory> = due
            .iter()
            .flat_map(|b| b.lines.iter().map(|l| l.vat_category))
            .filter(|c| !seen.asked_rates.contains(c))
            .collect();
        if !new.is_empty() {
            seen.asked_rates.extend(new.iter().copied());
            seen.asked_rates.sort_unstable();
            seen.asked_rates.dedup();
            seen.rates
                .extend(self.rates(ctx, org, new, issue_date).await?);
        }
        let company = due.iter().any(|b| {
            matches!(seen.clients.get(&b.client_id), Some(Some(c)) if c.buyer.kind == ClientKind::Company)
        });
        if company && seen.penalty_rate.is_none() {
            seen.penalty_rate = Some(self.remote.late_penalty_rate(ctx, issue_date).await?);
        }
        Ok(())
    }
}

/// Returns the issued invoices (numbers still empty) of the page `due`, reporting the
/// contracts that cannot be invoiced in `out`.
fn prepare_page(
    run: &Run<'_>,
    due: Vec<Billable>,
    seen: &Seen,
    out: &mut pb::RunBillingResponse,
) -> Vec<Invoice> {
    let mut drafts = Vec::with_capacity(due.len());
    let at = now();
    for b in due {
        let Some(Some(client)) = seen.clients.get(&b.client_id) else {
            problem_of(
                out,
                &b.contract_id.to_string(),
                "the client is unknown to clients".into(),
            );
            continue;
        };
        let prepared = issue::prepare(
            &b.lines,
            &Context {
                seller: &run.org.seller,
                buyer: &client.buyer,
                issue_date: run.issue_date,
                policy: &run.org.policy,
                rates: &seen.rates,
                late_penalty_rate_bps: seen.penalty_rate.flatten(),
            },
        );
        let prepared = match prepared {
            Ok(p) => p,
            Err(problems) => {
                let text = problems
                    .into_iter()
                    .map(|(_, d)| d)
                    .collect::<Vec<_>>()
                    .join("; ");
                problem_of(out, &b.contract_id.to_string(), text);
                continue;
            }
        };
        let starts = b
            .lines
            .iter()
            .filter_map(|l| l.service_period.map(|p| p.start))
            .min();
        let ends = b
            .lines
            .iter()
            .filter_map(|l| l.service_period.map(|p| p.end))
            .max();
        let draft = Invoice {
            id: Uuid::now_v7(),
            organisation_id: run.tenant.id(),
            kind: Kind::Invoice,
            status: Status::Draft,
            client_id: b.client_id,
            client_commercial_id: client.commercial_id,
            contract_id: Some(b.contract_id),
            currency: b.currency,
            lines: b.lines,
            service_period: starts.zip(ends).map(|(start, end)| Period { start, end }),
            billing_period_start: Some(run.month.start),
            issued: None,
            amount_paid: 0,
            amount_credited: 0,
            credited: Vec::new(),
            credit_of: None,
            overdue_at: None,
            paid_date: None,
            write_off_reason: None,
            created_at: at,
            updated_at: at,
            version: 1,
        };
        drafts.push(issued_invoice(
            &draft,
            prepared,
            run.org,
            client,
            run.issue_date,
            String::new(),
        ));
    }
    drafts
}

fn problem_of(out: &mut pb::RunBillingResponse, contract: &str, description: String) {
    out.failed += 1;
    if out.problems.len() < MAX_PROBLEMS {
        out.problems.push(pb::BillingProblem {
            contract_id: contract.to_owned(),
            description,
        });
    }
}
