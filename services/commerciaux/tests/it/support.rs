//! Shared set-up: a running commerciaux service per backend and request helpers.

use crm_kit::Role;
use crm_proto::commerciaux::v1 as pb;
use crm_proto::commerciaux::v1::commercial_service_client::CommercialServiceClient;
use crm_testkit::{Keys, Running, authed};
use prost_types::FieldMask;
use tonic::transport::Channel;
use uuid::Uuid;

/// A commerciaux service and the keys to call it.
pub struct Env {
    pub keys: Keys,
    pub running: Running,
    pub backend: crm_db::Backend,
}

/// Starts one commerciaux service per backend.
pub async fn envs() -> Vec<Env> {
    let mut out = Vec::new();
    for db in crm_testkit::each_backend().await.expect("databases") {
        let keys = Keys::new().expect("keys");
        let deps = crm_testkit::deps::<crm_commerciaux::Migrator>(&keys, &db)
            .await
            .expect("deps");
        let running = crm_testkit::spawn(deps, crm_commerciaux::build)
            .await
            .expect("spawn");
        let backend = db.backend;
        // The database must outlive the service; tests are short, so leak the handle.
        std::mem::forget(db);
        out.push(Env {
            keys,
            running,
            backend,
        });
    }
    out
}

/// A commerciaux service pointed at a clients service of its own, both in-process with
/// the same keys, for ReassignPortfolio.
pub struct Stack {
    pub env: Env,
    pub clients: Running,
}

/// Starts one commerciaux + clients stack per backend, each service with its own
/// database.
pub async fn stacks() -> Vec<Stack> {
    let mut out = Vec::new();
    for db in crm_testkit::each_backend().await.expect("databases") {
        let keys = Keys::new().expect("keys");
        let backend = db.backend;
        let clients_db = crm_testkit::fresh(backend).await.expect("clients database");
        // clients and commerciaux ask each other: bind commerciaux' port first.
        let ports = crm_testkit::Ports::bind().await.expect("ports");
        let mut clients_deps = crm_testkit::deps::<crm_clients::Migrator>(&keys, &clients_db)
            .await
            .expect("clients deps");
        clients_deps
            .config
            .services
            .insert("commerciaux".into(), ports.url.clone());
        let clients = crm_testkit::spawn(clients_deps, crm_clients::build)
            .await
            .expect("clients");
        let mut deps = crm_testkit::deps::<crm_commerciaux::Migrator>(&keys, &db)
            .await
            .expect("deps");
        deps.config
            .services
            .insert("clients".into(), clients.url.clone());
        let running = crm_testkit::spawn_on(ports, deps, crm_commerciaux::build)
            .await
            .expect("spawn");
        // The databases must outlive the services; tests are short, so leak the handles.
        std::mem::forget(db);
        std::mem::forget(clients_db);
        out.push(Stack {
            env: Env {
                keys,
                running,
                backend,
            },
            clients,
        });
    }
    out
}

/// A member of an organisation.
#[derive(Clone, Copy)]
pub struct Member {
    pub org: Uuid,
    pub user: Uuid,
    pub role: Role,
}

impl Member {
    pub fn new(org: Uuid, role: Role) -> Self {
        Self {
            org,
            user: Uuid::now_v7(),
            role,
        }
    }

    /// Another member of the same organisation with `role`.
    pub fn with_role(self, role: Role) -> Self {
        Self::new(self.org, role)
    }
}

impl Env {
    pub fn client(&self) -> CommercialServiceClient<Channel> {
        CommercialServiceClient::new(self.running.channel.clone())
    }

    pub fn req<T>(&self, who: Member, msg: T) -> tonic::Request<T> {
        authed(&self.keys.token(who.org, who.user, who.role), msg)
    }

    pub async fn create(
        &self,
        who: Member,
        commercial: pb::Commercial,
    ) -> Result<pb::Commercial, tonic::Status> {
        let res = self
            .client()
            .create_commercial(self.req(
                who,
                pb::CreateCommercialRequest {
                    commercial: Some(commercial),
                    request_id: String::new(),
                },
            ))
            .await?;
        Ok(res.into_inner().commercial.expect("commercial"))
    }

    /// Creates a commercial with `code` under `manager` (empty: at the top).
    pub async fn create_under(&self, who: Member, code: &str, manager: &str) -> pb::Commercial {
        let mut c = commercial(code);
        c.manager_id = manager.into();
        self.create(who, c).await.expect("create")
    }

    /// Creates a chain of `n` commerciaux, each managing the next; returns them from the
    /// top down.
    pub async fn chain(&self, who: Member, prefix: &str, n: usize) -> Vec<pb::Commercial> {
        let mut out: Vec<pb::Commercial> = Vec::new();
        for i in 0..n {
            let manager = out.last().map(|c| c.id.clone()).unwrap_or_default();
            out.push(
                self.create_under(who, &format!("{prefix}{i}"), &manager)
                    .await,
            );
        }
        out
    }

    pub async fn get(&self, who: Member, id: &str) -> Result<pb::Commercial, tonic::Status> {
        let res = self
            .client()
            .get_commercial(self.req(
                who,
                pb::GetCommercialRequest {
                    commercial_id: id.into(),
                },
            ))
            .await?;
        Ok(res.into_inner().commercial.expect("commercial"))
    }

    /// Sets the manager of `id` (empty: to the top).
    pub async fn set_manager(
        &self,
        who: Member,
        id: &str,
        manager: &str,
    ) -> Result<pb::Commercial, tonic::Status> {
        let res = self
            .client()
            .update_commercial(self.req(
                who,
                pb::UpdateCommercialRequest {
                    commercial: Some(pb::Commercial {
                        id: id.into(),
                        manager_id: manager.into(),
                        ..Default::default()
                    }),
                    update_mask: Some(FieldMask {
                        paths: vec!["manager_id".into()],
                    }),
                },
            ))
            .await?;
        Ok(res.into_inner().commercial.expect("commercial"))
    }

    pub async fn deactivate(&self, who: Member, id: &str) -> Result<pb::Commercial, tonic::Status> {
        let res = self
            .client()
            .deactivate_commercial(self.req(
                who,
                pb::DeactivateCommercialRequest {
                    commercial_id: id.into(),
                    version: 0,
                },
            ))
            .await?;
        Ok(res.into_inner().commercial.expect("commercial"))
    }

    /// Returns the codes of the upline of `id` with their levels, and the depth.
    pub async fn upline(
        &self,
        who: Member,
        id: &str,
    ) -> Result<(Vec<(String, i32)>, i32), tonic::Status> {
        let res = self
            .client()
            .get_hierarchy(self.req(
                who,
                pb::GetHierarchyRequest {
                    commercial_id: id.into(),
                },
            ))
            .await?
            .into_inner();
        let levels = res
            .upline
            .into_iter()
            .map(|l| (l.commercial.expect("commercial").code, l.level))
            .collect();
        Ok((levels, res.depth))
    }

    /// Returns every member of the team of `id` as (code, depth), walking all pages.
    pub async fn team(
        &self,
        who: Member,
        id: &str,
        direct_only: bool,
        page_size: i32,
    ) -> Result<Vec<(String, i32)>, tonic::Status> {
        let mut out = Vec::new();
        let mut token = String::new();
        loop {
            let page = self
                .client()
                .list_team(self.req(
                    who,
                    pb::ListTeamRequest {
                        commercial_id: id.into(),
                        direct_only,
                        page_size,
                        page_token: token.clone(),
                    },
                ))
                .await?
                .into_inner();
            assert!(page_size == 0 || page.members.len() <= page_size as usize);
            out.extend(
                page.members
                    .into_iter()
                    .map(|m| (m.commercial.expect("commercial").code, m.depth)),
            );
            if page.next_page_token.is_empty() {
                return Ok(out);
            }
            token = page.next_page_token;
        }
    }
}

/// A valid commercial.
pub fn commercial(code: &str) -> pb::Commercial {
    pb::Commercial {
        code: code.into(),
        first_name: "Jeanne".into(),
        last_name: format!("Agent {code}"),
        email: format!("{}@example.fr", code.to_lowercase()),
        phone: "+33 6 12 34 56 78".into(),
        team: "Nord".into(),
        ..Default::default()
    }
}

/// Returns the field names of a status's BadRequest detail.
pub fn violation_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt as _;
    status
        .get_details_bad_request()
        .map(|b| b.field_violations.into_iter().map(|f| f.field).collect())
        .unwrap_or_default()
}

/// Sorts a list of (code, depth) for comparisons that ignore order.
pub fn sorted(mut v: Vec<(String, i32)>) -> Vec<(String, i32)> {
    v.sort();
    v
}

/// Returns (code, number) pairs.
pub fn pairs(items: &[(&str, i32)]) -> Vec<(String, i32)> {
    items.iter().map(|(c, n)| ((*c).to_owned(), *n)).collect()
}
