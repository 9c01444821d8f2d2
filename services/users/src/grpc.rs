//! The tonic implementation of `crm.users.v1.UserService`: decode and check, call the
//! service, encode. Access per method is declared in lib.rs (`permissions()`).

use crm_proto::users::v1 as pb;
use crm_proto::users::v1::user_service_server::UserService;
use tonic::{Request, Response, Status};

use crate::convert::{self, jwk, tokens_to_proto, user_to_proto};
use crate::service::Users;

/// The users API.
#[derive(Debug, Clone)]
pub struct UsersApi {
    users: Users,
}

impl UsersApi {
    /// Returns the API over the service.
    pub fn new(users: Users) -> Self {
        Self { users }
    }
}

#[tonic::async_trait]
impl UserService for UsersApi {
    async fn sign_up(
        &self,
        request: Request<pb::SignUpRequest>,
    ) -> Result<Response<pb::SignUpResponse>, Status> {
        let input = convert::sign_up(request.get_ref())?;
        // SignUp is public: the kit may give it a context only for its trace.
        let traceparent = crm_kit::context(&request)
            .ok()
            .and_then(|ctx| ctx.traceparent.clone());
        let session = self.users.sign_up(input, traceparent).await?;
        Ok(Response::new(pb::SignUpResponse {
            user: Some(user_to_proto(&session.user)),
            tokens: Some(tokens_to_proto(&session.tokens)),
        }))
    }

    async fn login(
        &self,
        request: Request<pb::LoginRequest>,
    ) -> Result<Response<pb::LoginResponse>, Status> {
        let input = convert::login(request.get_ref())?;
        let session = self.users.login(input).await?;
        Ok(Response::new(pb::LoginResponse {
            user: Some(user_to_proto(&session.user)),
            tokens: Some(tokens_to_proto(&session.tokens)),
        }))
    }

    async fn refresh(
        &self,
        request: Request<pb::RefreshRequest>,
    ) -> Result<Response<pb::RefreshResponse>, Status> {
        let token = convert::refresh_token(&request.get_ref().refresh_token)?;
        let tokens = self.users.refresh(token).await?;
        Ok(Response::new(pb::RefreshResponse {
            tokens: Some(tokens_to_proto(&tokens)),
        }))
    }

    async fn logout(
        &self,
        request: Request<pb::LogoutRequest>,
    ) -> Result<Response<pb::LogoutResponse>, Status> {
        let token = convert::refresh_token(&request.get_ref().refresh_token)?;
        self.users.logout(token).await?;
        Ok(Response::new(pb::LogoutResponse {}))
    }

    async fn switch_organisation(
        &self,
        request: Request<pb::SwitchOrganisationRequest>,
    ) -> Result<Response<pb::SwitchOrganisationResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let user = ctx.user_id()?;
        let org = convert::organisation_id(&request.get_ref().organisation_id)?;
        let tokens = self.users.switch_organisation(ctx, user, org).await?;
        Ok(Response::new(pb::SwitchOrganisationResponse {
            tokens: Some(tokens_to_proto(&tokens)),
        }))
    }

    async fn get_me(
        &self,
        request: Request<pb::GetMeRequest>,
    ) -> Result<Response<pb::GetMeResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let user = self.users.me(ctx.user_id()?).await?;
        Ok(Response::new(pb::GetMeResponse {
            user: Some(user_to_proto(&user)),
            organisation_id: ctx
                .organisation_id
                .map(|o| o.to_string())
                .unwrap_or_default(),
            role: ctx.role.map(|r| r.to_proto()).unwrap_or_default(),
        }))
    }

    async fn update_profile(
        &self,
        request: Request<pb::UpdateProfileRequest>,
    ) -> Result<Response<pb::UpdateProfileResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let me = ctx.user_id()?;
        let name = convert::profile_update(request.get_ref(), me)?;
        let user = self.users.update_display_name(me, &name).await?;
        Ok(Response::new(pb::UpdateProfileResponse {
            user: Some(user_to_proto(&user)),
        }))
    }

    async fn change_password(
        &self,
        request: Request<pb::ChangePasswordRequest>,
    ) -> Result<Response<pb::ChangePasswordResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let me = ctx.user_id()?;
        let (current, new) = convert::change_password(request.get_ref())?;
        self.users.change_password(me, &current, new).await?;
        Ok(Response::new(pb::ChangePasswordResponse {}))
    }

    async fn enroll_totp(
        &self,
        request: Request<pb::EnrollTotpRequest>,
    ) -> Result<Response<pb::EnrollTotpResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let enrolment = self.users.enroll_totp(ctx.user_id()?).await?;
        Ok(Response::new(convert::enrolment_to_proto(enrolment)))
    }

    async fn confirm_totp(
        &self,
        request: Request<pb::ConfirmTotpRequest>,
    ) -> Result<Response<pb::ConfirmTotpResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let me = ctx.user_id()?;
        let code = convert::confirm_totp(request.get_ref())?;
        self.users.confirm_totp(me, &code).await?;
        Ok(Response::new(pb::ConfirmTotpResponse {}))
    }

    async fn disable_totp(
        &self,
        request: Request<pb::DisableTotpRequest>,
    ) -> Result<Response<pb::DisableTotpResponse>, Status> {
        let ctx = crm_kit::context(&request)?;
        let me = ctx.user_id()?;
        let (password, code) = convert::disable_totp(request.get_ref())?;
        self.users.disable_totp(me, &password, &code).await?;
        Ok(Response::new(pb::DisableTotpResponse {}))
    }

    async fn get_jwks(
        &self,
        _request: Request<pb::GetJwksRequest>,
    ) -> Result<Response<pb::GetJwksResponse>, Status> {
        Ok(Response::new(pb::GetJwksResponse {
            keys: self.users.public_keys().iter().map(jwk).collect(),
        }))
    }
}
