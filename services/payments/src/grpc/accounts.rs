//! Creditor accounts and the organisation's collection settings.

use crm_kit::RequestContext;
use crm_proto::payments::v1 as pb;
use crm_shared::validate::{validate_bic, validate_creditor_id, validate_iban};

use super::{PaymentsApi, may_manage, tenant_of};
use crate::convert::{
    Violations, account_to_proto, id_of, invalid, next_token, optional_uuid, page,
    settings_to_proto,
};
use crate::domain::{LEAD_DAYS, PRENOTIFICATION_DAYS, Settings};
use crate::error::Error;
use crate::repo::AccountDraft;

/// Longest creditor name (`Cdtr/Nm` under EPC rules).
const MAX_NAME: usize = 70;

/// Returns the normalised BIC of an optional field, recording a malformed one.
pub fn optional_bic(text: &str, field: &str, v: &mut Violations) -> Option<String> {
    if text.trim().is_empty() {
        return None;
    }
    match validate_bic(text) {
        Ok(bic) => Some(bic.as_str().to_owned()),
        Err(e) => {
            v.push((field.to_owned(), format!("is not a valid BIC: {e}")));
            None
        }
    }
}

/// Returns the normalised IBAN of a required field, recording a missing or invalid one.
pub fn required_iban(text: &str, field: &str, v: &mut Violations) -> Option<String> {
    if text.trim().is_empty() {
        v.push((field.to_owned(), "is required".into()));
        return None;
    }
    match validate_iban(text) {
        Ok(iban) => Some(iban.into_string()),
        Err(e) => {
            v.push((field.to_owned(), format!("is not a valid SEPA IBAN: {e}")));
            None
        }
    }
}

fn account_draft(a: &pb::CreditorAccount, v: &mut Violations) -> Option<AccountDraft> {
    if !a.id.is_empty() {
        v.push((
            "creditor_account.id".into(),
            "is assigned by the service".into(),
        ));
    }
    if a.create_time.is_some() {
        v.push((
            "creditor_account.create_time".into(),
            "is output only".into(),
        ));
    }
    let name = a.name.trim();
    if name.is_empty() {
        v.push(("creditor_account.name".into(), "is required".into()));
    } else if name.chars().count() > MAX_NAME {
        v.push((
            "creditor_account.name".into(),
            format!("must be at most {MAX_NAME} characters"),
        ));
    }
    let ics = if a.creditor_identifier.trim().is_empty() {
        v.push((
            "creditor_account.creditor_identifier".into(),
            "is required".into(),
        ));
        None
    } else {
        validate_creditor_id(&a.creditor_identifier)
            .map_err(|e| {
                v.push((
                    "creditor_account.creditor_identifier".into(),
                    format!("is not a valid SEPA creditor identifier: {e}"),
                ));
            })
            .ok()
    };
    let iban = required_iban(&a.iban, "creditor_account.iban", v);
    let bic = optional_bic(&a.bic, "creditor_account.bic", v);
    Some(AccountDraft {
        name: name.to_owned(),
        creditor_id: ics?.into_string(),
        iban: iban?,
        bic,
    })
}

impl PaymentsApi {
    pub(super) async fn create_account(
        &self,
        ctx: &RequestContext,
        req: &pb::CreateCreditorAccountRequest,
    ) -> Result<pb::CreateCreditorAccountResponse, Error> {
        let tenant = tenant_of(ctx)?;
        may_manage(ctx)?;
        let mut v = Violations::new();
        let request_id = optional_uuid(&req.request_id, "request_id", &mut v);
        let draft = match &req.creditor_account {
            Some(a) => account_draft(a, &mut v),
            None => {
                v.push(("creditor_account".into(), "is required".into()));
                None
            }
        };
        invalid(v)?;
        let Some(draft) = draft else {
            return Err(Error::InvalidArgument(vec![(
                "creditor_account".into(),
                "is incomplete".into(),
            )]));
        };
        let account = self.repo.create_account(tenant, draft, request_id).await?;
        tracing::info!(creditor_account_id = %account.id, "creditor account created");
        Ok(pb::CreateCreditorAccountResponse {
            creditor_account: Some(account_to_proto(&account)),
        })
    }

    pub(super) async fn get_account(
        &self,
        ctx: &RequestContext,
        req: &pb::GetCreditorAccountRequest,
    ) -> Result<pb::GetCreditorAccountResponse, Error> {
        let tenant = tenant_of(ctx)?;
        let id = id_of(&req.creditor_account_id, "creditor_account_id")?;
        let account = self.repo.account(tenant, id).await?;
        Ok(pb::GetCreditorAccountResponse {
            creditor_account: Some(account_to_proto(&account)),
        })
    }

    pub(super) async fn list_accounts(
        &self,
        ctx: &RequestContext,
        req: &pb::ListCreditorAccountsRequest,
    ) -> Result<pb::ListCreditorAccountsResponse, Error> {
        let tenant = tenant_of(ctx)?;
        let mut v = Violations::new();
        let fingerprint = crm_db::page::fingerprint(&["creditor_accounts"]);
        let (size, after) = page(req.page_size, &req.page_token, fingerprint, &mut v);
        invalid(v)?;
        let (accounts, more) = self.repo.list_accounts(tenant, after, size).await?;
        Ok(pb::ListCreditorAccountsResponse {
            next_page_token: next_token(more, accounts.last().map(|a| a.id), fingerprint),
            creditor_accounts: accounts.iter().map(account_to_proto).collect(),
        })
    }

    pub(super) async fn get_settings(
        &self,
        ctx: &RequestContext,
        _req: &pb::GetPaymentSettingsRequest,
    ) -> Result<pb::GetPaymentSettingsResponse, Error> {
        let settings = self.repo.settings(tenant_of(ctx)?).await?;
        Ok(pb::GetPaymentSettingsResponse {
            settings: Some(settings_to_proto(&settings)),
        })
    }

    pub(super) async fn update_settings(
        &self,
        ctx: &RequestContext,
        req: &pb::UpdatePaymentSettingsRequest,
    ) -> Result<pb::UpdatePaymentSettingsResponse, Error> {
        let tenant = tenant_of(ctx)?;
        may_manage(ctx)?;
        let Some(s) = &req.settings else {
            return Err(Error::InvalidArgument(vec![(
                "settings".into(),
                "is required".into(),
            )]));
        };
        let mut v = Violations::new();
        let lead = u32::try_from(s.submission_lead_days)
            .ok()
            .filter(|d| LEAD_DAYS.contains(d));
        if lead.is_none() {
            v.push((
                "settings.submission_lead_days".into(),
                format!(
                    "must be between {} and {}",
                    LEAD_DAYS.start(),
                    LEAD_DAYS.end()
                ),
            ));
        }
        let notice = u32::try_from(s.prenotification_days)
            .ok()
            .filter(|d| PRENOTIFICATION_DAYS.contains(d));
        if notice.is_none() {
            v.push((
                "settings.prenotification_days".into(),
                format!(
                    "must be between {} and {}",
                    PRENOTIFICATION_DAYS.start(),
                    PRENOTIFICATION_DAYS.end()
                ),
            ));
        }
        if s.version < 0 {
            v.push(("settings.version".into(), "must not be negative".into()));
        }
        invalid(v)?;
        let (Some(lead), Some(notice)) = (lead, notice) else {
            return Err(Error::InvalidArgument(vec![(
                "settings".into(),
                "is incomplete".into(),
            )]));
        };
        let next = Settings {
            submission_lead_days: lead,
            prenotification_days: notice,
            version: 0,
        };
        let settings = self.repo.update_settings(tenant, next, s.version).await?;
        Ok(pb::UpdatePaymentSettingsResponse {
            settings: Some(settings_to_proto(&settings)),
        })
    }
}
