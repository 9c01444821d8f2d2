//! Mandates: creation, reads, status changes and amendments.

use chrono::NaiveDate;
use crm_kit::RequestContext;
use crm_proto::payments::v1 as pb;
use uuid::Uuid;

use super::accounts::{optional_bic, required_iban};
use super::{PaymentsApi, actor, may_manage, tenant_of};
use crate::convert::{
    Violations, date_from_proto, id_of, invalid, kind_from_proto, mandate_status_from_proto,
    mandate_to_proto, next_token, optional_uuid, page, required_date, scheme_from_proto,
    uuid_field,
};
use crate::domain::mandate::{Transition, check_debtor_name, check_reference};
use crate::error::Error;
use crate::repo::{MandateDraft, MandateFilter, today};

/// Records a signature date in the future.
fn not_future(date: Option<NaiveDate>, field: &str, v: &mut Violations) {
    if let Some(d) = date
        && d > today()
    {
        v.push((field.to_owned(), "must not be in the future".into()));
    }
}

fn reply(m: &crate::domain::Mandate) -> Option<pb::Mandate> {
    Some(mandate_to_proto(m))
}

impl PaymentsApi {
    pub(super) async fn create_mandate(
        &self,
        ctx: &RequestContext,
        req: &pb::CreateMandateRequest,
    ) -> Result<pb::CreateMandateResponse, Error> {
        let tenant = tenant_of(ctx)?;
        may_manage(ctx)?;
        let mut v = Violations::new();
        let account = uuid_field(&req.creditor_account_id, "creditor_account_id", &mut v);
        let reference = check_reference(&req.reference)
            .map_err(|e| v.push(("reference".into(), e)))
            .ok();
        let client = uuid_field(&req.client_id, "client_id", &mut v);
        let name = check_debtor_name(&req.debtor_name)
            .map_err(|e| v.push(("debtor_name".into(), e)))
            .ok();
        let iban = required_iban(&req.iban, "iban", &mut v);
        let bic = optional_bic(&req.bic, "bic", &mut v);
        let signed = req
            .signature_date
            .as_ref()
            .and_then(|d| date_from_proto(d, "signature_date", &mut v));
        not_future(signed, "signature_date", &mut v);
        let kind = kind_from_proto(req.r#type, "type", true, &mut v);
        let scheme = scheme_from_proto(req.scheme, "scheme", &mut v);
        let request_id = optional_uuid(&req.request_id, "request_id", &mut v);
        invalid(v)?;
        let (
            Some(account),
            Some(reference),
            Some(client),
            Some(name),
            Some(iban),
            Some(kind),
            Some(scheme),
        ) = (account, reference, client, name, iban, kind, scheme)
        else {
            return Err(Error::InvalidArgument(vec![(
                "mandate".into(),
                "is incomplete".into(),
            )]));
        };
        let draft = MandateDraft {
            creditor_account_id: account,
            reference,
            client_id: client,
            debtor_name: name,
            iban,
            bic,
            signature_date: signed,
            kind,
            scheme,
        };
        let m = self
            .repo
            .create_mandate(tenant, draft, request_id, &actor(ctx))
            .await?;
        tracing::info!(mandate_id = %m.id, "mandate created");
        Ok(pb::CreateMandateResponse { mandate: reply(&m) })
    }

    pub(super) async fn get_mandate(
        &self,
        ctx: &RequestContext,
        req: &pb::GetMandateRequest,
    ) -> Result<pb::GetMandateResponse, Error> {
        let tenant = tenant_of(ctx)?;
        let id = id_of(&req.mandate_id, "mandate_id")?;
        let m = self.repo.mandate(tenant, id).await?;
        Ok(pb::GetMandateResponse { mandate: reply(&m) })
    }

    pub(super) async fn list_mandates(
        &self,
        ctx: &RequestContext,
        req: &pb::ListMandatesRequest,
    ) -> Result<pb::ListMandatesResponse, Error> {
        let tenant = tenant_of(ctx)?;
        let mut v = Violations::new();
        let reference = req.reference.trim();
        if reference.chars().count() > 35 {
            v.push(("reference".into(), "must be at most 35 characters".into()));
        }
        let filter = MandateFilter {
            status: mandate_status_from_proto(req.status, "status", &mut v),
            client_id: optional_uuid(&req.client_id, "client_id", &mut v),
            creditor_account_id: optional_uuid(
                &req.creditor_account_id,
                "creditor_account_id",
                &mut v,
            ),
            reference: (!reference.is_empty()).then(|| reference.to_owned()),
        };
        let fingerprint = crm_db::page::fingerprint(&[
            "mandates",
            &req.status.to_string(),
            req.client_id.trim(),
            req.creditor_account_id.trim(),
            reference,
        ]);
        let (size, after) = page(req.page_size, &req.page_token, fingerprint, &mut v);
        invalid(v)?;
        let (mandates, more) = self
            .repo
            .list_mandates(tenant, &filter, after, size)
            .await?;
        Ok(pb::ListMandatesResponse {
            next_page_token: next_token(more, mandates.last().map(|m| m.id), fingerprint),
            mandates: mandates.iter().map(mandate_to_proto).collect(),
        })
    }

    async fn transition(
        &self,
        ctx: &RequestContext,
        mandate_id: &str,
        t: Transition,
        signature_date: Option<NaiveDate>,
    ) -> Result<Option<pb::Mandate>, Error> {
        let tenant = tenant_of(ctx)?;
        may_manage(ctx)?;
        let id: Uuid = id_of(mandate_id, "mandate_id")?;
        let m = self
            .repo
            .transition_mandate(tenant, id, t, signature_date, &actor(ctx))
            .await?;
        tracing::info!(mandate_id = %m.id, status = m.status.as_str(), "mandate status changed");
        Ok(reply(&m))
    }

    pub(super) async fn activate_mandate(
        &self,
        ctx: &RequestContext,
        req: &pb::ActivateMandateRequest,
    ) -> Result<pb::ActivateMandateResponse, Error> {
        let mut v = Violations::new();
        let _ = uuid_field(&req.mandate_id, "mandate_id", &mut v);
        let signed = required_date(req.signature_date.as_ref(), "signature_date", &mut v);
        not_future(signed, "signature_date", &mut v);
        may_manage(ctx)?;
        invalid(v)?;
        let mandate = self
            .transition(ctx, &req.mandate_id, Transition::Activate, signed)
            .await?;
        Ok(pb::ActivateMandateResponse { mandate })
    }

    pub(super) async fn suspend_mandate(
        &self,
        ctx: &RequestContext,
        req: &pb::SuspendMandateRequest,
    ) -> Result<pb::SuspendMandateResponse, Error> {
        let mandate = self
            .transition(ctx, &req.mandate_id, Transition::Suspend, None)
            .await?;
        Ok(pb::SuspendMandateResponse { mandate })
    }

    pub(super) async fn resume_mandate(
        &self,
        ctx: &RequestContext,
        req: &pb::ResumeMandateRequest,
    ) -> Result<pb::ResumeMandateResponse, Error> {
        let mandate = self
            .transition(ctx, &req.mandate_id, Transition::Resume, None)
            .await?;
        Ok(pb::ResumeMandateResponse { mandate })
    }

    pub(super) async fn revoke_mandate(
        &self,
        ctx: &RequestContext,
        req: &pb::RevokeMandateRequest,
    ) -> Result<pb::RevokeMandateResponse, Error> {
        let mandate = self
            .transition(ctx, &req.mandate_id, Transition::Revoke, None)
            .await?;
        Ok(pb::RevokeMandateResponse { mandate })
    }

    pub(super) async fn amend_mandate(
        &self,
        ctx: &RequestContext,
        req: &pb::AmendMandateRequest,
    ) -> Result<pb::AmendMandateResponse, Error> {
        let tenant = tenant_of(ctx)?;
        may_manage(ctx)?;
        let mut v = Violations::new();
        let id = uuid_field(&req.mandate_id, "mandate_id", &mut v);
        let wants_iban = !req.new_iban.trim().is_empty();
        let wants_reference = !req.new_reference.trim().is_empty();
        if !wants_iban && !wants_reference {
            v.push((
                "new_iban".into(),
                "new_iban or new_reference is required".into(),
            ));
        }
        let iban = wants_iban
            .then(|| required_iban(&req.new_iban, "new_iban", &mut v))
            .flatten();
        let bic = optional_bic(&req.new_bic, "new_bic", &mut v);
        if bic.is_some() && !wants_iban {
            v.push(("new_bic".into(), "is only accepted with new_iban".into()));
        }
        let reference = if wants_reference {
            check_reference(&req.new_reference)
                .map_err(|e| v.push(("new_reference".into(), e)))
                .ok()
        } else {
            None
        };
        invalid(v)?;
        let Some(id) = id else {
            return Err(Error::InvalidArgument(vec![(
                "mandate_id".into(),
                "is required".into(),
            )]));
        };
        let m = self
            .repo
            .amend_mandate(tenant, id, iban.map(|i| (i, bic)), reference, &actor(ctx))
            .await?;
        Ok(pb::AmendMandateResponse { mandate: reply(&m) })
    }
}
