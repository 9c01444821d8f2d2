//! Calls to the organisations service: creating the organisation of a new account and
//! reading memberships, which put `org`, `role` and `cid` in access tokens.

use crm_kit::client::{Downstream, OnBehalfOf};
use crm_kit::{RequestContext, Role};
use crm_proto::organisations::v1 as pb;
use crm_proto::organisations::v1::organisation_service_client::OrganisationServiceClient;
use tonic::Code;
use uuid::Uuid;

use crate::error::Error;

/// A user's membership of an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Membership {
    /// The organisation.
    pub organisation_id: Uuid,
    /// The user's role there.
    pub role: Role,
    /// The user's sales-agent record there, when linked.
    pub commercial_id: Option<Uuid>,
}

/// The organisations service, as the users service calls it.
#[derive(Debug, Clone)]
pub struct Organisations {
    downstream: Downstream,
}

fn as_user(user: Uuid) -> OnBehalfOf {
    OnBehalfOf {
        organisation_id: None,
        user_id: Some(user),
        role: None,
        commercial_id: None,
    }
}

fn parse_membership(m: Option<pb::Membership>) -> Result<Membership, Error> {
    let m = m.ok_or_else(|| Error::Organisations(tonic::Status::internal("no membership")))?;
    let organisation_id = Uuid::parse_str(&m.organisation_id)
        .map_err(|_| Error::Organisations(tonic::Status::internal("bad organisation id")))?;
    let role = Role::from_proto(m.role)
        .ok_or_else(|| Error::Organisations(tonic::Status::internal("membership has no role")))?;
    Ok(Membership {
        organisation_id,
        role,
        commercial_id: Uuid::parse_str(&m.commercial_id).ok(),
    })
}

impl Organisations {
    /// Returns the client over `downstream`.
    pub fn new(downstream: Downstream) -> Self {
        Self { downstream }
    }

    fn client(&self) -> OrganisationServiceClient<tonic::transport::Channel> {
        OrganisationServiceClient::new(self.downstream.channel())
    }

    /// Creates an organisation named `name` owned by `user`; `request_id` makes a retry
    /// return the same organisation. Returns its id.
    pub async fn create(&self, user: Uuid, name: &str, request_id: Uuid) -> Result<Uuid, Error> {
        let request = self
            .downstream
            .background_request(
                as_user(user),
                pb::CreateOrganisationRequest {
                    organisation: Some(pb::Organisation {
                        name: name.to_owned(),
                        ..Default::default()
                    }),
                    request_id: request_id.to_string(),
                },
            )
            .map_err(Error::Organisations)?;
        let created = self
            .client()
            .create_organisation(request)
            .await
            .map_err(Error::Organisations)?
            .into_inner()
            .organisation
            .ok_or_else(|| Error::Organisations(tonic::Status::internal("no organisation")))?;
        Uuid::parse_str(&created.id)
            .map_err(|_| Error::Organisations(tonic::Status::internal("bad organisation id")))
    }

    /// Returns the membership of `user` in `org`, `None` when there is none. Inside a
    /// request (`ctx`) the call carries its deadline and trace.
    pub async fn membership(
        &self,
        ctx: Option<&RequestContext>,
        user: Uuid,
        org: Uuid,
    ) -> Result<Option<Membership>, Error> {
        let message = pb::GetMembershipRequest {
            organisation_id: org.to_string(),
            user_id: user.to_string(),
        };
        let request = match ctx {
            Some(ctx) => self.downstream.request(ctx, message),
            None => self.downstream.background_request(as_user(user), message),
        }
        .map_err(Error::Organisations)?;
        match self.client().get_membership(request).await {
            Ok(response) => parse_membership(response.into_inner().membership).map(Some),
            Err(status) if status.code() == Code::NotFound => Ok(None),
            Err(status) => Err(Error::Organisations(status)),
        }
    }

    /// Returns the first organisation `user` belongs to, in the organisations service's
    /// order, with the membership there; `None` when the user belongs to none.
    pub async fn first_membership(&self, user: Uuid) -> Result<Option<Membership>, Error> {
        let request = self
            .downstream
            .background_request(
                as_user(user),
                pb::ListMyOrganisationsRequest {
                    page_size: 1,
                    page_token: String::new(),
                },
            )
            .map_err(Error::Organisations)?;
        let first = self
            .client()
            .list_my_organisations(request)
            .await
            .map_err(Error::Organisations)?
            .into_inner()
            .organisations
            .into_iter()
            .find_map(|o| o.organisation);
        let Some(org) = first.and_then(|o| Uuid::parse_str(&o.id).ok()) else {
            return Ok(None);
        };
        // The list carries no sales-agent link; the membership does.
        self.membership(None, user, org).await
    }
}
