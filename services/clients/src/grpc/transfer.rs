//! ImportClients (client stream), ExportClients (server stream) and ReassignClients.

use std::collections::HashMap;

use chrono::Utc;
use crm_kit::Role;
use crm_proto::clients::v1 as pb;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};
use uuid::Uuid;

use super::clients::{list_filter, new_client_data};
use super::{Answer, ClientsApi, actor, check_assignment, invalid};
use crate::convert::{Violations, client_into_proto, optional_uuid, uuid_field};
use crate::domain::Visibility;
use crate::error::Error;
use crate::remote::{Remote, Unusable};
use crate::repo::{ImportRow, RowOutcome};

/// Rows written per transaction.
const IMPORT_BATCH: usize = 500;
/// Most rows one call imports, so the answer (about 100 bytes a row) stays well under
/// the 4 MiB a gRPC client decodes by default. Larger files go in several calls.
pub const MAX_IMPORT_ROWS: usize = 30_000;
/// Longest external reference.
const MAX_REFERENCE: usize = 100;
/// Clients read per query while exporting.
const EXPORT_BATCH: u64 = 500;

/// The stream ExportClients answers.
pub type ExportStream = ReceiverStream<Result<pb::ExportClientsResponse, Status>>;

/// The state of one import: results in stream order, the rows waiting for the next
/// transaction, and what the file has already used.
struct Import {
    results: Vec<pb::ImportRowResult>,
    pending: Vec<ImportRow>,
    emails: HashMap<String, i64>,
    request_ids: HashMap<Uuid, i64>,
    /// Whom the caller may assign clients to.
    scope: Visibility,
    /// The sales agents already asked about, with why each is unusable (if it is).
    commercials: HashMap<Uuid, Option<Unusable>>,
    /// The batch being written, whose outcomes are not recorded yet.
    writing: Option<Write>,
}

/// A batch being written: each row's index in the results and its outcome.
type Write = tokio::task::JoinHandle<Result<Vec<(usize, RowOutcome)>, Error>>;

impl Import {
    /// Checks one row; a good row waits for the next batch, a bad one is answered now.
    fn add(
        &mut self,
        ctx: &crm_kit::RequestContext,
        row: pb::ImportClientsRequest,
        today: chrono::NaiveDate,
    ) {
        let number = if row.row_number == 0 {
            self.results.len() as i64 + 1
        } else {
            row.row_number
        };
        let mut v = Violations::new();
        let request_id = optional_uuid(&row.request_id, "request_id", &mut v);
        if row.external_reference.chars().count() > MAX_REFERENCE {
            v.push((
                "external_reference".into(),
                format!("must be at most {MAX_REFERENCE} characters"),
            ));
        }
        let data = match &row.client {
            Some(input) => new_client_data(ctx, input, today, &mut v),
            None => {
                v.push(("client".into(), "is required".into()));
                None
            }
        };
        if let Some(d) = &data
            && check_assignment(&self.scope, d.commercial_id).is_err()
        {
            v.push((
                "client.commercial_id".into(),
                "an agent may only assign clients to themselves, a manager to their team".into(),
            ));
        }
        if let Some(rid) = request_id
            && let Some(first) = self.request_ids.get(&rid)
        {
            v.push((
                "request_id".into(),
                format!("is the request_id of row {first}"),
            ));
        }
        let email_key = data
            .as_ref()
            .and_then(|d| d.email.as_ref())
            .map(|e| e.to_lowercase());
        if let Some(first) = email_key.as_ref().and_then(|k| self.emails.get(k)) {
            v.push((
                "client.email".into(),
                format!("is the e-mail of row {first}"),
            ));
        }
        let mut result = pb::ImportRowResult {
            row_number: number,
            external_reference: row.external_reference,
            ..Default::default()
        };
        match data.filter(|_| v.is_empty()) {
            Some(data) => {
                if let Some(key) = email_key {
                    self.emails.insert(key, number);
                }
                if let Some(rid) = request_id {
                    self.request_ids.insert(rid, number);
                }
                self.pending.push(ImportRow {
                    index: self.results.len(),
                    request_id,
                    data,
                });
            }
            None => result.violations = violations(v),
        }
        self.results.push(result);
    }

    /// Rejects the waiting rows whose sales agent does not exist or is inactive, asking
    /// the commerciaux service about each agent once per import.
    async fn check_commercials(
        &mut self,
        remote: &Remote,
        ctx: &crm_kit::RequestContext,
    ) -> Result<(), Error> {
        let mut unknown: Vec<Uuid> = self
            .pending
            .iter()
            .filter_map(|row| row.data.commercial_id)
            .filter(|id| !self.commercials.contains_key(id))
            .collect();
        unknown.sort_unstable();
        unknown.dedup();
        if !unknown.is_empty() {
            let unusable = remote.unusable_commercials(ctx, &unknown).await?;
            for id in unknown {
                self.commercials.insert(id, unusable.get(&id).copied());
            }
        }
        let results = &mut self.results;
        let commercials = &self.commercials;
        self.pending.retain(|row| {
            let problem = row
                .data
                .commercial_id
                .and_then(|id| commercials.get(&id).copied().flatten());
            match (problem, results.get_mut(row.index)) {
                (Some(problem), Some(result)) => {
                    result.violations = vec![pb::RowViolation {
                        field: "client.commercial_id".into(),
                        description: problem.describe().into(),
                    }];
                    false
                }
                _ => true,
            }
        });
        Ok(())
    }

    /// Starts writing the waiting rows in one transaction (after checking their sales
    /// agents), once the write before has finished: rows keep being read and checked
    /// while the database writes, and writes never overlap, so each batch's e-mail and
    /// request-id checks see the batches before it.
    async fn flush(
        &mut self,
        api: &ClientsApi,
        ctx: &crm_kit::RequestContext,
        tenant: crm_db::Tenant,
        actor: &crate::events::Actor,
    ) -> Result<(), Error> {
        self.check_commercials(&api.remote, ctx).await?;
        let batch = std::mem::take(&mut self.pending);
        self.finish().await?;
        if batch.is_empty() {
            return Ok(());
        }
        let repo = api.repo.clone();
        let actor = actor.clone();
        self.writing = Some(tokio::spawn(async move {
            repo.import_batch(tenant, &batch, &actor).await
        }));
        Ok(())
    }

    /// Waits for the write in progress, if any, and records its rows' outcomes.
    async fn finish(&mut self) -> Result<(), Error> {
        let Some(write) = self.writing.take() else {
            return Ok(());
        };
        let outcomes = write
            .await
            .map_err(|e| Error::Database(sea_orm::DbErr::Custom(format!("import write: {e}"))))??;
        for (index, outcome) in outcomes {
            let Some(result) = self.results.get_mut(index) else {
                continue;
            };
            match outcome {
                RowOutcome::Created(id) => result.client_id = id.to_string(),
                RowOutcome::Rejected(v) => result.violations = violations(v),
            }
        }
        Ok(())
    }
}

fn violations(v: Violations) -> Vec<pb::RowViolation> {
    v.into_iter()
        .map(|(field, description)| pb::RowViolation { field, description })
        .collect()
}

/// Imports a stream of rows, batch by batch. Rows committed before a failure (the
/// stream breaking, the row limit, the database) stay imported; re-sending rows with
/// their request_id is then safe.
pub async fn import(
    api: &ClientsApi,
    request: Request<Streaming<pb::ImportClientsRequest>>,
) -> Answer<pb::ImportClientsResponse> {
    let ctx = crm_kit::context(&request)?.clone();
    let tenant = ctx.tenant()?;
    let actor = actor(&ctx);
    let today = Utc::now().date_naive();
    let mut rows = request.into_inner();
    let mut import = Import {
        results: Vec::new(),
        pending: Vec::new(),
        emails: HashMap::new(),
        request_ids: HashMap::new(),
        scope: api.remote.scope(&ctx).await?,
        commercials: HashMap::new(),
        writing: None,
    };
    while let Some(row) = rows.message().await? {
        if import.results.len() >= MAX_IMPORT_ROWS {
            import.flush(api, &ctx, tenant, &actor).await?;
            import.finish().await?;
            return Err(Status::resource_exhausted(format!(
                "at most {MAX_IMPORT_ROWS} rows per call; the first {MAX_IMPORT_ROWS} were \
                 processed, send the rest in another call"
            )));
        }
        import.add(&ctx, row, today);
        if import.pending.len() >= IMPORT_BATCH {
            import.flush(api, &ctx, tenant, &actor).await?;
        }
    }
    import.flush(api, &ctx, tenant, &actor).await?;
    import.finish().await?;
    let rejected = import
        .results
        .iter()
        .filter(|r| !r.violations.is_empty())
        .count() as i64;
    let imported = import.results.len() as i64 - rejected;
    tracing::info!(imported, rejected, "clients imported");
    Ok(Response::new(pb::ImportClientsResponse {
        results: import.results,
        imported_count: imported,
        rejected_count: rejected,
    }))
}

/// Streams every matching client, newest first, reading the database batch by batch
/// while the caller consumes them.
pub async fn export(
    api: &ClientsApi,
    request: Request<pb::ExportClientsRequest>,
) -> Answer<ExportStream> {
    let repo = &api.repo;
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let req = request.get_ref();
    let mut v = Violations::new();
    let filters = list_filter(
        req.status,
        &req.commercial_id,
        &req.tag,
        req.created_after.as_ref(),
        req.created_before.as_ref(),
        &req.query,
        &mut v,
    );
    invalid(v)?;
    let filter = filters.filter;
    let seen_by = api.remote.scope(ctx).await?;
    let repo = repo.clone();
    // Two batches in flight: the next query runs while the caller reads.
    let (tx, rx) = mpsc::channel(2 * EXPORT_BATCH as usize);
    tokio::spawn(async move {
        let mut after = None;
        loop {
            match repo
                .list(tenant, &filter, seen_by.clone(), after, EXPORT_BATCH)
                .await
            {
                Ok((clients, more)) => {
                    after = clients.last().map(|c| c.id);
                    for client in clients {
                        let message = pb::ExportClientsResponse {
                            client: Some(client_into_proto(client)),
                        };
                        if tx.send(Ok(message)).await.is_err() {
                            // The caller went away.
                            return;
                        }
                    }
                    if !more {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e.into())).await;
                    return;
                }
            }
        }
    });
    Ok(Response::new(ReceiverStream::new(rx)))
}

/// Moves every live client of one sales agent, with their open opportunities, to
/// another: for owners, admins and managers, and for the commerciaux service.
pub async fn reassign(
    api: &ClientsApi,
    request: Request<pb::ReassignClientsRequest>,
) -> Answer<pb::ReassignClientsResponse> {
    let repo = &api.repo;
    let ctx = crm_kit::context(&request)?;
    let tenant = ctx.tenant()?;
    let allowed = ctx.calling_service() == Some("commerciaux")
        || matches!(ctx.role, Some(Role::Owner | Role::Admin | Role::Manager));
    if !allowed {
        return Err(Error::PermissionDenied(
            "only owners, admins, managers and the commerciaux service reassign clients".into(),
        )
        .into());
    }
    let req = request.get_ref();
    let mut v = Violations::new();
    let from = uuid_field(&req.from_commercial_id, "from_commercial_id", &mut v);
    let to = uuid_field(&req.to_commercial_id, "to_commercial_id", &mut v);
    if from.is_some() && from == to {
        v.push((
            "to_commercial_id".into(),
            "must differ from from_commercial_id".into(),
        ));
    }
    invalid(v)?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(super::required("from_commercial_id"));
    };
    // A manager moves portfolios within their team only.
    let scope = api.remote.scope(ctx).await?;
    check_assignment(&scope, Some(from))?;
    check_assignment(&scope, Some(to))?;
    // The commerciaux service has checked the target itself.
    if ctx.calling_service() != Some("commerciaux") {
        api.remote
            .check_commercial(ctx, "to_commercial_id", to)
            .await?;
    }
    let (clients, opportunities) = repo.reassign(tenant, from, to, &actor(ctx)).await?;
    tracing::info!(%from, %to, clients, opportunities, "clients reassigned");
    Ok(Response::new(pb::ReassignClientsResponse {
        reassigned_clients: clients as i64,
        reassigned_opportunities: opportunities as i64,
    }))
}
