//! Conversions between the protobuf messages and the service, with field-by-field checks
//! that report every violation of a request at once.

use crm_proto::users::v1 as pb;
use uuid::Uuid;

use crate::domain::validate::{self, Violations};
use crate::domain::{User, UserStatus, refresh};
use crate::error::Error;
use crate::service::{Enrolment, IssuedTokens, LoginInput, PublicKey, SignUpInput};

pub use crm_kit::convert::{optional_uuid, timestamp};

/// Returns `Ok(())` when nothing was recorded, otherwise `INVALID_ARGUMENT` with all.
pub fn invalid(v: Violations) -> Result<(), Error> {
    if v.is_empty() {
        Ok(())
    } else {
        Err(Error::InvalidArgument(v))
    }
}

/// Returns the proto form of a user.
pub fn user_to_proto(u: &User) -> pb::User {
    pb::User {
        id: u.id.to_string(),
        email: u.email.clone(),
        display_name: u.display_name.clone(),
        status: match u.status {
            UserStatus::Active => pb::UserStatus::Active,
            UserStatus::Disabled => pb::UserStatus::Disabled,
        } as i32,
        email_verified_time: u.email_verified_at.map(timestamp),
        totp_enabled: u.totp_enabled,
        create_time: Some(timestamp(u.created_at)),
        update_time: Some(timestamp(u.updated_at)),
    }
}

/// Returns the proto form of issued tokens.
pub fn tokens_to_proto(t: &IssuedTokens) -> pb::TokenPair {
    pb::TokenPair {
        access_token: t.access_token.clone(),
        access_token_expire_time: Some(timestamp(t.access_expires_at)),
        refresh_token: t.refresh_token.clone(),
        refresh_token_expire_time: Some(timestamp(t.refresh_expires_at)),
        token_type: "Bearer".into(),
        organisation_id: t.organisation_id.map(|o| o.to_string()).unwrap_or_default(),
        role: t.role.map(|r| r.to_proto()).unwrap_or_default(),
    }
}

/// Returns the JWK of a public key.
pub fn jwk(k: &PublicKey) -> pb::Jwk {
    pb::Jwk {
        kty: "OKP".into(),
        crv: "Ed25519".into(),
        x: k.x.clone(),
        kid: k.kid.clone(),
        alg: "EdDSA".into(),
        r#use: "sig".into(),
    }
}

/// Returns the proto form of a TOTP enrolment.
pub fn enrolment_to_proto(e: Enrolment) -> pb::EnrollTotpResponse {
    pb::EnrollTotpResponse {
        secret: e.secret,
        otpauth_url: e.otpauth_url,
    }
}

/// Checks a SignUp request.
pub fn sign_up(r: &pb::SignUpRequest) -> Result<SignUpInput, Error> {
    let mut v = Violations::new();
    let email = validate::email(&r.email, "email", &mut v);
    validate::new_password(&r.password, "password", &mut v);
    let display_name = validate::display_name(&r.display_name, "display_name", &mut v);
    let organisation_name =
        validate::organisation_name(&r.organisation_name, "organisation_name", &mut v);
    match (email, display_name, organisation_name) {
        (Some(email), Some(display_name), Some(organisation_name)) if v.is_empty() => {
            Ok(SignUpInput {
                email,
                password: r.password.clone(),
                display_name,
                organisation_name,
            })
        }
        _ => Err(Error::InvalidArgument(v)),
    }
}

/// Checks a Login request. The e-mail is not checked for shape: any text may be tried,
/// and an unknown one gets the same answer as a wrong password.
pub fn login(r: &pb::LoginRequest) -> Result<LoginInput, Error> {
    let mut v = Violations::new();
    let email = r.email.trim();
    if email.is_empty() {
        v.push(("email".into(), "is required".into()));
    } else if email.len() > 254 {
        v.push(("email".into(), "must be at most 254 characters".into()));
    }
    validate::given_password(&r.password, "password", &mut v);
    let totp_code = if r.totp_code.trim().is_empty() {
        None
    } else {
        validate::totp_code(&r.totp_code, "totp_code", &mut v)
    };
    let organisation_id = optional_uuid(&r.organisation_id, "organisation_id", &mut v);
    invalid(v)?;
    Ok(LoginInput {
        email: email.to_owned(),
        password: r.password.clone(),
        totp_code,
        organisation_id,
    })
}

/// Checks a refresh token's presence and shape.
pub fn refresh_token(token: &str) -> Result<&str, Error> {
    let token = token.trim();
    let problem = if token.is_empty() {
        "is required"
    } else if !refresh::is_well_formed(token) {
        "is not a refresh token"
    } else {
        return Ok(token);
    };
    Err(Error::InvalidArgument(vec![(
        "refresh_token".into(),
        problem.into(),
    )]))
}

/// Checks a required organisation id.
pub fn organisation_id(text: &str) -> Result<Uuid, Error> {
    let mut v = Violations::new();
    if text.is_empty() {
        v.push(("organisation_id".into(), "is required".into()));
    }
    let id = optional_uuid(text, "organisation_id", &mut v);
    invalid(v)?;
    id.ok_or_else(|| Error::InvalidArgument(vec![("organisation_id".into(), "is required".into())]))
}

/// Checks an UpdateProfile request of the user `caller`; returns the new display name.
/// Only `display_name` may change; without a mask, every field set in `user` is named.
pub fn profile_update(r: &pb::UpdateProfileRequest, caller: Uuid) -> Result<String, Error> {
    let Some(user) = &r.user else {
        return Err(Error::InvalidArgument(vec![(
            "user".into(),
            "is required".into(),
        )]));
    };
    let mut v = Violations::new();
    if !user.id.is_empty() && user.id != caller.to_string() {
        v.push((
            "user.id".into(),
            "must be empty or the caller's own id".into(),
        ));
    }
    let paths: Vec<String> = match &r.update_mask {
        Some(mask) if !mask.paths.is_empty() => mask.paths.clone(),
        _ => implicit_mask(user),
    };
    if paths.is_empty() {
        v.push(("update_mask".into(), "names no field to update".into()));
    }
    let mut name = None;
    for (i, path) in paths.iter().enumerate() {
        if path == "display_name" {
            name = validate::display_name(&user.display_name, "user.display_name", &mut v);
        } else {
            v.push((
                format!("update_mask.paths[{i}]"),
                format!("{path:?} cannot be changed here; only display_name can"),
            ));
        }
    }
    match name {
        Some(name) if v.is_empty() => Ok(name),
        _ => Err(Error::InvalidArgument(v)),
    }
}

/// Returns the mask paths of the fields set in `user`, id and output-only fields aside.
fn implicit_mask(u: &pb::User) -> Vec<String> {
    let mut paths = Vec::new();
    let mut add = |set: bool, name: &str| {
        if set {
            paths.push(name.to_owned());
        }
    };
    add(!u.email.is_empty(), "email");
    add(!u.display_name.is_empty(), "display_name");
    add(u.status != 0, "status");
    add(u.email_verified_time.is_some(), "email_verified_time");
    add(u.totp_enabled, "totp_enabled");
    paths
}

/// Checks a ChangePassword request; returns (current, new).
pub fn change_password(r: &pb::ChangePasswordRequest) -> Result<(String, String), Error> {
    let mut v = Violations::new();
    validate::given_password(&r.current_password, "current_password", &mut v);
    validate::new_password(&r.new_password, "new_password", &mut v);
    if !r.new_password.is_empty() && r.new_password == r.current_password {
        v.push((
            "new_password".into(),
            "must differ from the current password".into(),
        ));
    }
    invalid(v)?;
    Ok((r.current_password.clone(), r.new_password.clone()))
}

/// Checks a ConfirmTotp request; returns the code.
pub fn confirm_totp(r: &pb::ConfirmTotpRequest) -> Result<String, Error> {
    let mut v = Violations::new();
    let code = validate::totp_code(&r.code, "code", &mut v);
    match code {
        Some(code) if v.is_empty() => Ok(code),
        _ => Err(Error::InvalidArgument(v)),
    }
}

/// Checks a DisableTotp request; returns (password, code).
pub fn disable_totp(r: &pb::DisableTotpRequest) -> Result<(String, String), Error> {
    let mut v = Violations::new();
    validate::given_password(&r.password, "password", &mut v);
    let code = validate::totp_code(&r.code, "code", &mut v);
    match code {
        Some(code) if v.is_empty() => Ok((r.password.clone(), code)),
        _ => Err(Error::InvalidArgument(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(e: Error) -> Vec<String> {
        match e {
            Error::InvalidArgument(v) => v.into_iter().map(|(f, _)| f).collect(),
            other => panic!("expected invalid argument, got {other:?}"),
        }
    }

    #[test]
    fn sign_up_reports_every_field() {
        let err = sign_up(&pb::SignUpRequest::default()).expect_err("empty");
        assert_eq!(
            fields(err),
            ["email", "password", "display_name", "organisation_name"]
        );
        let ok = sign_up(&pb::SignUpRequest {
            email: " Ada@Example.com".into(),
            password: "a long enough password".into(),
            display_name: " Ada ".into(),
            organisation_name: "Analytical Engines".into(),
        })
        .expect("valid");
        assert_eq!(ok.email, "Ada@example.com");
        assert_eq!(ok.display_name, "Ada");
    }

    #[test]
    fn login_checks_shapes_not_existence() {
        let err = login(&pb::LoginRequest {
            email: String::new(),
            password: String::new(),
            totp_code: "12".into(),
            organisation_id: "nope".into(),
        })
        .expect_err("bad");
        assert_eq!(
            fields(err),
            ["email", "password", "totp_code", "organisation_id"]
        );
        let ok = login(&pb::LoginRequest {
            email: "not even an address".into(),
            password: "x".into(),
            ..Default::default()
        })
        .expect("any text may be tried");
        assert_eq!(ok.totp_code, None);
        assert_eq!(ok.organisation_id, None);
    }

    #[test]
    fn refresh_tokens_must_be_present_and_well_formed() {
        assert_eq!(
            fields(refresh_token("").expect_err("empty")),
            ["refresh_token"]
        );
        assert_eq!(
            fields(refresh_token("abc").expect_err("short")),
            ["refresh_token"]
        );
        let (token, _) = refresh::generate().expect("token");
        assert_eq!(refresh_token(&token).expect("valid"), token);
    }

    #[test]
    fn profile_updates_change_only_the_display_name() {
        let me = Uuid::now_v7();
        let request = |paths: &[&str], user: pb::User| pb::UpdateProfileRequest {
            user: Some(user),
            update_mask: Some(prost_types::FieldMask {
                paths: paths.iter().map(|p| (*p).to_owned()).collect(),
            }),
        };
        let named = pb::User {
            display_name: " New ".into(),
            ..Default::default()
        };
        assert_eq!(
            profile_update(&request(&["display_name"], named.clone()), me).expect("ok"),
            "New"
        );
        let err = profile_update(&request(&["display_name", "email"], named.clone()), me)
            .expect_err("email");
        assert_eq!(fields(err), ["update_mask.paths[1]"]);
        let err = profile_update(&request(&["display_name"], pb::User::default()), me)
            .expect_err("blank");
        assert_eq!(fields(err), ["user.display_name"]);
        let implicit = pb::UpdateProfileRequest {
            user: Some(named.clone()),
            update_mask: None,
        };
        assert_eq!(profile_update(&implicit, me).expect("implicit"), "New");
        let other = pb::User {
            id: Uuid::now_v7().to_string(),
            ..named
        };
        let err = profile_update(&request(&["display_name"], other), me).expect_err("id");
        assert_eq!(fields(err), ["user.id"]);
        let empty = pb::UpdateProfileRequest {
            user: Some(pb::User::default()),
            update_mask: None,
        };
        assert_eq!(
            fields(profile_update(&empty, me).expect_err("nothing")),
            ["update_mask"]
        );
        let none = pb::UpdateProfileRequest::default();
        assert_eq!(
            fields(profile_update(&none, me).expect_err("no user")),
            ["user"]
        );
    }

    #[test]
    fn password_changes_need_both_and_a_difference() {
        let err = change_password(&pb::ChangePasswordRequest {
            current_password: String::new(),
            new_password: "short".into(),
        })
        .expect_err("bad");
        assert_eq!(fields(err), ["current_password", "new_password"]);
        let err = change_password(&pb::ChangePasswordRequest {
            current_password: "same password 1".into(),
            new_password: "same password 1".into(),
        })
        .expect_err("same");
        assert_eq!(fields(err), ["new_password"]);
    }

    #[test]
    fn totp_requests_need_codes() {
        assert_eq!(
            fields(confirm_totp(&pb::ConfirmTotpRequest { code: "x".into() }).expect_err("bad")),
            ["code"]
        );
        assert_eq!(
            fields(disable_totp(&pb::DisableTotpRequest::default()).expect_err("empty")),
            ["password", "code"]
        );
    }

    #[test]
    fn organisation_ids_are_required_uuids() {
        assert_eq!(
            fields(organisation_id("").expect_err("empty")),
            ["organisation_id"]
        );
        assert_eq!(
            fields(organisation_id("x").expect_err("bad")),
            ["organisation_id"]
        );
        let id = Uuid::now_v7();
        assert_eq!(organisation_id(&id.to_string()).expect("ok"), id);
    }
}
