//! Row-level visibility by sales agent: agents see the records assigned to them,
//! managers those of their team (themselves and everyone below them in the commerciaux
//! hierarchy, at any depth), every other role the whole organisation. A manager's team
//! is read from commerciaux.ListTeam as the manager (internal token, the caller's
//! deadline, one retry on UNAVAILABLE) and kept for [`TEAM_TTL`], so a change in the
//! hierarchy shows within that time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crm_proto::commerciaux::v1 as pb;
use crm_proto::commerciaux::v1::commercial_service_client::CommercialServiceClient;
use tonic::Status;
use uuid::Uuid;

use crate::auth::MeshKey;
use crate::auth::context::{RequestContext, Role};
use crate::client::{Downstream, ReadError, read};
use crate::config::KitConfig;

/// How long a manager's team is reused before it is read again.
pub const TEAM_TTL: Duration = Duration::from_secs(30);

/// Teams kept at once (one per manager seen recently).
const CACHED_TEAMS: usize = 10_000;

/// ListTeam's largest page.
const TEAM_PAGE: i32 = 200;

/// Which records of an organisation a caller may see, by the sales agent they are
/// assigned to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every record of the organisation.
    All,
    /// Only records assigned to one of these sales agents, sorted; empty: none (an agent
    /// or manager without a sales-agent record).
    Commercials(Arc<[Uuid]>),
}

impl Scope {
    /// Returns the scope of one sales agent (`None`: nothing).
    pub fn agent(commercial: Option<Uuid>) -> Self {
        Scope::Commercials(commercial.into_iter().collect())
    }

    /// Returns the scope of a set of sales agents.
    pub fn commercials(mut ids: Vec<Uuid>) -> Self {
        ids.sort_unstable();
        ids.dedup();
        Scope::Commercials(ids.into())
    }

    /// Returns whether a record assigned to `commercial` is visible.
    pub fn allows(&self, commercial: Option<Uuid>) -> bool {
        match self {
            Scope::All => true,
            Scope::Commercials(ids) => commercial.is_some_and(|c| ids.binary_search(&c).is_ok()),
        }
    }

    /// Returns the sales agents a query must be limited to, `None` for all.
    pub fn limited_to(&self) -> Option<&[Uuid]> {
        match self {
            Scope::All => None,
            Scope::Commercials(ids) => Some(ids),
        }
    }
}

/// Resolves callers' scopes, reading managers' teams from the commerciaux service.
#[derive(Debug, Clone)]
pub struct Teams {
    commerciaux: Downstream,
    cache: Arc<TeamCache>,
}

/// Teams by (organisation, manager's sales-agent record), with when each was read.
type TeamCache = quick_cache::sync::Cache<(Uuid, Uuid), (Instant, Arc<[Uuid]>)>;

impl Teams {
    /// Returns a resolver calling the commerciaux service at `services.commerciaux` of
    /// `config` as `caller`.
    pub fn new(caller: &'static str, config: &KitConfig, mesh: &MeshKey) -> Result<Self, Status> {
        let url = config.service_url("commerciaux");
        Ok(Self {
            commerciaux: Downstream::lazy(caller, "commerciaux", &url, mesh.clone())?,
            cache: Arc::new(quick_cache::sync::Cache::new(CACHED_TEAMS)),
        })
    }

    /// Returns what the caller of `ctx` may see. Only managers cost a call, and only
    /// when their team is not cached.
    pub async fn scope(&self, ctx: &RequestContext) -> Result<Scope, ReadError> {
        match ctx.role {
            Some(Role::Agent) => Ok(Scope::agent(ctx.commercial_id)),
            Some(Role::Manager) => {
                let (Some(org), Some(me)) = (ctx.organisation_id, ctx.commercial_id) else {
                    return Ok(Scope::agent(None));
                };
                Ok(Scope::Commercials(self.team(ctx, org, me).await?))
            }
            _ => Ok(Scope::All),
        }
    }

    /// Returns `me` and everyone below them, sorted.
    async fn team(
        &self,
        ctx: &RequestContext,
        org: Uuid,
        me: Uuid,
    ) -> Result<Arc<[Uuid]>, ReadError> {
        if let Some((at, team)) = self.cache.get(&(org, me))
            && at.elapsed() < TEAM_TTL
        {
            return Ok(team);
        }
        let mut ids = vec![me];
        let mut page_token = String::new();
        loop {
            let message = pb::ListTeamRequest {
                commercial_id: me.to_string(),
                direct_only: false,
                page_size: TEAM_PAGE,
                page_token: page_token.clone(),
            };
            let d = &self.commerciaux;
            let page = read(ctx, d.target(), || async {
                let request = d.request(ctx, message.clone())?;
                CommercialServiceClient::new(d.channel())
                    .list_team(request)
                    .await
                    .map(tonic::Response::into_inner)
            })
            .await?;
            // The manager's record is gone: they keep only what is assigned to them.
            let Some(page) = page else { break };
            ids.extend(
                page.members
                    .iter()
                    .filter_map(|m| m.commercial.as_ref())
                    .filter_map(|c| Uuid::parse_str(&c.id).ok()),
            );
            if page.next_page_token.is_empty() {
                break;
            }
            page_token = page.next_page_token;
        }
        let Scope::Commercials(team) = Scope::commercials(ids) else {
            unreachable!("commercials() is a team");
        };
        self.cache.insert((org, me), (Instant::now(), team.clone()));
        Ok(team)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_allow_their_agents_only() {
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let team = Scope::commercials(vec![b, a, b]);
        assert!(team.allows(Some(a)) && team.allows(Some(b)));
        assert!(!team.allows(Some(c)) && !team.allows(None));
        assert_eq!(team.limited_to().map(<[Uuid]>::len), Some(2));
        assert!(Scope::All.allows(None) && Scope::All.limited_to().is_none());
        assert!(!Scope::agent(None).allows(None));
        assert!(Scope::agent(Some(c)).allows(Some(c)));
    }

    #[tokio::test]
    async fn only_managers_need_the_commerciaux_service() {
        // The commerciaux address is unreachable: agents and admins never call it.
        let config = KitConfig::default();
        let teams =
            Teams::new("clients", &config, &MeshKey::new(&[1u8; 32]).expect("key")).expect("teams");
        let me = Uuid::now_v7();
        let agent = RequestContext {
            role: Some(Role::Agent),
            commercial_id: Some(me),
            organisation_id: Some(Uuid::now_v7()),
            ..RequestContext::anonymous()
        };
        assert_eq!(teams.scope(&agent).await, Ok(Scope::agent(Some(me))));
        let admin = RequestContext {
            role: Some(Role::Admin),
            ..agent.clone()
        };
        assert_eq!(teams.scope(&admin).await, Ok(Scope::All));
        let lone_manager = RequestContext {
            role: Some(Role::Manager),
            commercial_id: None,
            ..agent
        };
        assert_eq!(teams.scope(&lone_manager).await, Ok(Scope::agent(None)));
    }
}
