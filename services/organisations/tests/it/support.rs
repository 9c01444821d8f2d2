//! Shared set-up: a running organisations service per backend, tokens for users with and
//! without an organisation, internal calls, and fixtures (an organisation with members).

use crm_kit::Role;
use crm_kit::auth::tokens::AccessClaims;
use crm_kit::auth::{INTERNAL_SERVICE_HEADER, INTERNAL_TOKEN_HEADER};
use crm_proto::organisations::v1 as pb;
use crm_proto::organisations::v1::organisation_service_client::OrganisationServiceClient;
use crm_testkit::{Keys, Running, TestDatabase, authed};
use tonic::Request;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use uuid::Uuid;

/// An organisations service, its database and the keys to call it.
pub struct Env {
    pub keys: Keys,
    pub running: Running,
    pub db: TestDatabase,
}

/// Starts one organisations service per backend.
pub async fn envs() -> Vec<Env> {
    let mut out = Vec::new();
    for db in crm_testkit::each_backend().await.expect("databases") {
        let keys = Keys::new().expect("keys");
        let deps = crm_testkit::deps::<crm_organisations::Migrator>(&keys, &db)
            .await
            .expect("deps");
        let running = crm_testkit::spawn(deps, crm_organisations::build)
            .await
            .expect("spawn");
        out.push(Env { keys, running, db });
    }
    out
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A caller: a user acting in an organisation with a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    pub org: Uuid,
    pub user: Uuid,
    pub role: Role,
}

/// An organisation created through the API, with its owner.
pub struct Org {
    pub id: Uuid,
    pub owner: Member,
    pub org: pb::Organisation,
}

impl Env {
    pub fn client(&self) -> OrganisationServiceClient<Channel> {
        OrganisationServiceClient::new(self.running.channel.clone())
    }

    /// Returns a request from `who` (a user token scoped to its organisation and role).
    pub fn req<T>(&self, who: Member, msg: T) -> Request<T> {
        authed(&self.keys.token(who.org, who.user, who.role), msg)
    }

    /// Returns a request from `user` with a token scoped to no organisation, as right
    /// after sign-up.
    pub fn bare<T>(&self, user: Uuid, msg: T) -> Request<T> {
        let claims = AccessClaims::new(user, None, None, now());
        let token = self.keys.signer.sign(&claims).expect("sign");
        authed(&token, msg)
    }

    /// Returns an internal request from the users service acting for `user` in `org`.
    pub fn internal<T>(&self, org: Option<Uuid>, user: Option<Uuid>, msg: T) -> Request<T> {
        let token = self
            .keys
            .mesh
            .mint("users", "organisations", org, user, None, now())
            .expect("mint");
        let mut request = Request::new(msg);
        request
            .metadata_mut()
            .insert(INTERNAL_SERVICE_HEADER, MetadataValue::from_static("users"));
        request.metadata_mut().insert(
            INTERNAL_TOKEN_HEADER,
            MetadataValue::try_from(token).expect("token header"),
        );
        request
    }

    /// Creates an organisation named `name` for a new user, who becomes its owner.
    pub async fn org(&self, name: &str) -> Org {
        let user = Uuid::now_v7();
        let org = self
            .client()
            .create_organisation(self.bare(
                user,
                pb::CreateOrganisationRequest {
                    organisation: Some(pb::Organisation {
                        name: name.into(),
                        ..Default::default()
                    }),
                    request_id: String::new(),
                },
            ))
            .await
            .expect("create organisation")
            .into_inner()
            .organisation
            .expect("organisation");
        let id = org.id.parse().expect("organisation id");
        Org {
            id,
            owner: Member {
                org: id,
                user,
                role: Role::Owner,
            },
            org,
        }
    }

    /// Invites `email` as `role` on behalf of `by`; returns the invitation and its token.
    pub async fn invite(
        &self,
        by: Member,
        email: &str,
        role: Role,
    ) -> Result<(pb::Invitation, String), tonic::Status> {
        let res = self
            .client()
            .invite_member(self.req(
                by,
                pb::InviteMemberRequest {
                    organisation_id: by.org.to_string(),
                    email: email.into(),
                    role: role.to_proto(),
                    request_id: String::new(),
                },
            ))
            .await?
            .into_inner();
        Ok((res.invitation.expect("invitation"), res.token))
    }

    /// Accepts `token` as `user` (a token scoped to no organisation).
    pub async fn accept(&self, user: Uuid, token: &str) -> Result<pb::Membership, tonic::Status> {
        let res = self
            .client()
            .accept_invitation(self.bare(
                user,
                pb::AcceptInvitationRequest {
                    token: token.into(),
                },
            ))
            .await?;
        Ok(res.into_inner().membership.expect("membership"))
    }

    /// Adds a new user to `org` with `role` through an invitation its owner sends.
    pub async fn member(&self, org: &Org, role: Role) -> Member {
        let user = Uuid::now_v7();
        let (_, token) = self
            .invite(org.owner, &format!("{}@example.fr", user.simple()), role)
            .await
            .expect("invite");
        self.accept(user, &token).await.expect("accept");
        Member {
            org: org.id,
            user,
            role,
        }
    }

    /// Returns the members of `org` as (user, role), in joining order.
    pub async fn members(&self, org: &Org) -> Vec<(Uuid, Role)> {
        self.client()
            .list_members(self.req(
                org.owner,
                pb::ListMembersRequest {
                    organisation_id: org.id.to_string(),
                    page_size: 200,
                    page_token: String::new(),
                },
            ))
            .await
            .expect("list members")
            .into_inner()
            .memberships
            .into_iter()
            .map(|m| {
                (
                    m.user_id.parse().expect("user id"),
                    Role::from_proto(m.role).expect("role"),
                )
            })
            .collect()
    }

    /// Returns the invitations of `org`, newest first.
    pub async fn invitations(&self, org: &Org) -> Vec<pb::Invitation> {
        self.client()
            .list_invitations(self.req(
                org.owner,
                pb::ListInvitationsRequest {
                    organisation_id: org.id.to_string(),
                    page_size: 0,
                    page_token: String::new(),
                },
            ))
            .await
            .expect("list invitations")
            .into_inner()
            .invitations
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

/// Returns the state of an invitation.
pub fn state(i: &pb::Invitation) -> pb::InvitationState {
    pb::InvitationState::try_from(i.state).expect("state")
}
