//! ReassignPortfolio: the two commerciaux are checked here (this service owns them),
//! then the clients service, which owns the clients, moves them. The call is made as
//! this service (internal token for the caller's organisation, user and role, which
//! the clients service admits for ReassignClients) and carries what remains of the
//! caller's deadline, never a fresh one.

use std::time::Instant;

use crm_db::Tenant;
use crm_kit::RequestContext;
use crm_kit::client::{BACKGROUND_TIMEOUT, Downstream};
use crm_proto::clients::v1 as clients;
use crm_proto::clients::v1::client_service_client::ClientServiceClient;
use crm_proto::commerciaux::v1 as pb;
use uuid::Uuid;

use crate::convert::{Violations, uuid_field};
use crate::domain::Status;
use crate::error::Error;
use crate::repo::Repo;

/// Name of the clients service, as the kit's configuration and the mesh know it.
pub const CLIENTS: &str = "clients";

/// Moves portfolios between commerciaux through the clients service.
#[derive(Debug, Clone)]
pub struct Portfolio {
    clients: Downstream,
}

impl Portfolio {
    /// Returns the mover calling the clients service through `clients`.
    pub fn new(clients: Downstream) -> Self {
        Self { clients }
    }

    /// Checks the request and both commerciaux, then moves every live client of the
    /// source (with their open opportunities) to the target. Returns the counts the
    /// clients service reports.
    pub async fn reassign(
        &self,
        repo: &Repo,
        ctx: &RequestContext,
        tenant: Tenant,
        req: &pb::ReassignPortfolioRequest,
    ) -> Result<pb::ReassignPortfolioResponse, Error> {
        let (from, to) = parse(req)?;
        // A missing commercial and another organisation's are both NOT_FOUND. The
        // source may be inactive: moving a departed agent's clients is the usual case.
        repo.get(tenant, from).await?;
        let target = repo.get(tenant, to).await?;
        if target.data.status != Status::Active {
            return Err(Error::FailedPrecondition(format!(
                "commercial {to} is inactive and cannot be given clients"
            )));
        }
        let moved = self.move_clients(ctx, from, to).await?;
        tracing::info!(
            %from,
            %to,
            clients = moved.reassigned_clients,
            opportunities = moved.reassigned_opportunities,
            "portfolio reassigned"
        );
        Ok(pb::ReassignPortfolioResponse {
            reassigned_clients: moved.reassigned_clients,
            reassigned_opportunities: moved.reassigned_opportunities,
        })
    }

    /// Calls clients.ReassignClients once. Not retried: a call whose answer was lost may
    /// have moved the clients already, and a retry would then report 0 moved; the
    /// caller, told UNAVAILABLE, decides (a repeat is harmless).
    async fn move_clients(
        &self,
        ctx: &RequestContext,
        from: Uuid,
        to: Uuid,
    ) -> Result<clients::ReassignClientsResponse, Error> {
        // The status type is inferred: only grpc.rs and error.rs name tonic.
        let failed = |status| Error::from_downstream(CLIENTS, &status, deadline_passed(ctx));
        let message = clients::ReassignClientsRequest {
            from_commercial_id: from.to_string(),
            to_commercial_id: to.to_string(),
        };
        let request = self.clients.request(ctx, message).map_err(failed)?;
        let mut client = ClientServiceClient::new(self.clients.channel());
        let call = client.reassign_clients(request);
        // The request's grpc-timeout bounds the server; this bounds the wait here too,
        // should the connection itself hang.
        let budget = ctx.deadline.map_or(BACKGROUND_TIMEOUT, |d| {
            d.saturating_duration_since(Instant::now())
        });
        match tokio::time::timeout(budget, call).await {
            Ok(Ok(response)) => Ok(response.into_inner()),
            Ok(Err(status)) => Err(failed(status)),
            Err(_) if ctx.deadline.is_some() => Err(Error::DeadlineExceeded(CLIENTS)),
            Err(_) => Err(Error::Unavailable {
                service: CLIENTS,
                message: "no answer in time".into(),
            }),
        }
    }
}

/// Returns whether the caller's deadline is over.
fn deadline_passed(ctx: &RequestContext) -> bool {
    ctx.deadline.is_some_and(|d| Instant::now() >= d)
}

/// Returns the two ids, or every violation at once.
fn parse(req: &pb::ReassignPortfolioRequest) -> Result<(Uuid, Uuid), Error> {
    let mut v = Violations::new();
    let from = uuid_field(&req.from_commercial_id, "from_commercial_id", &mut v);
    let to = uuid_field(&req.to_commercial_id, "to_commercial_id", &mut v);
    if from.is_some() && from == to {
        v.push((
            "to_commercial_id".into(),
            "must differ from from_commercial_id".into(),
        ));
    }
    match (from, to) {
        (Some(from), Some(to)) if v.is_empty() => Ok((from, to)),
        _ => Err(Error::InvalidArgument(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(from: &str, to: &str) -> pb::ReassignPortfolioRequest {
        pb::ReassignPortfolioRequest {
            from_commercial_id: from.into(),
            to_commercial_id: to.into(),
        }
    }

    fn fields(result: Result<(Uuid, Uuid), Error>) -> Vec<String> {
        match result {
            Err(Error::InvalidArgument(v)) => v.into_iter().map(|(f, _)| f).collect(),
            other => panic!("expected INVALID_ARGUMENT, got {other:?}"),
        }
    }

    #[test]
    fn every_violation_is_reported() {
        assert_eq!(
            fields(parse(&request("", "nope"))),
            ["from_commercial_id", "to_commercial_id"]
        );
        let id = Uuid::now_v7().to_string();
        assert_eq!(fields(parse(&request(&id, &id))), ["to_commercial_id"]);
        let other = Uuid::now_v7();
        assert_eq!(
            parse(&request(&id, &other.to_string())).ok(),
            Some((Uuid::parse_str(&id).expect("uuid"), other))
        );
    }
}
