//! Mandates: creation with a reference never used before under the creditor's ICS, the
//! status transitions, amendments, and the lapse after 36 months without a collection.

use chrono::NaiveDate;
use crm_db::{Tenant, TenantScoped};
use crm_events::NewEvent;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use uuid::Uuid;

use super::{Repo, account_in, now, page_of, rows, today};
use crate::domain::mandate::{self as rules, Change, Transition};
use crate::domain::sealing::display_masked;
use crate::domain::{Mandate, MandateKind, MandateStatus, PendingAmendment, Scheme};
use crate::entity::{mandate, mandate_reference};
use crate::error::Error;
use crate::events::{self, Actor};

/// A mandate to create; every field already checked.
#[derive(Debug, Clone)]
pub struct MandateDraft {
    /// The creditor account.
    pub creditor_account_id: Uuid,
    /// UMR.
    pub reference: String,
    /// The client.
    pub client_id: Uuid,
    /// Debtor name.
    pub debtor_name: String,
    /// Debtor IBAN, normalised.
    pub iban: String,
    /// BIC.
    pub bic: Option<String>,
    /// Signature date; `None` while waiting for it.
    pub signature_date: Option<NaiveDate>,
    /// Kind.
    pub kind: MandateKind,
    /// Scheme.
    pub scheme: Scheme,
}

/// Filters of ListMandates.
#[derive(Debug, Clone, Default)]
pub struct MandateFilter {
    /// Status.
    pub status: Option<MandateStatus>,
    /// Client.
    pub client_id: Option<Uuid>,
    /// Creditor account.
    pub creditor_account_id: Option<Uuid>,
    /// Reference.
    pub reference: Option<String>,
}

/// Returns a mandate of the tenant through `c`.
pub async fn mandate_in<C: ConnectionTrait>(
    c: &C,
    tenant: Tenant,
    id: Uuid,
) -> Result<Mandate, Error> {
    mandate::Entity::find_by_id_in(tenant, id)
        .one(c)
        .await?
        .map(rows::mandate)
        .ok_or_else(|| Error::not_found("mandate", id))
}

/// Writes `next` over the mandate at `version`, or ABORTED when it changed meanwhile.
pub async fn save_mandate<C: ConnectionTrait>(
    c: &C,
    tenant: Tenant,
    version: i64,
    next: &Mandate,
) -> Result<(), Error> {
    let mut row = rows::mandate_row(next, None);
    row.request_id = NotSet;
    let done = mandate::Entity::update_many_in(tenant)
        .set(row)
        .filter(mandate::Column::Id.eq(next.id))
        .filter(mandate::Column::Version.eq(version))
        .exec(c)
        .await?;
    if done.rows_affected != 1 {
        return Err(Error::Aborted(format!(
            "mandate {} changed concurrently; read it again and retry",
            next.id
        )));
    }
    Ok(())
}

/// Moves `m` to the closed `status` (with `reason`), writes it and its mandate.revoked
/// event through `c`.
pub async fn close_mandate<C: ConnectionTrait>(
    c: &C,
    tenant: Tenant,
    m: &mut Mandate,
    status: MandateStatus,
    reason: Option<String>,
    actor: &Actor,
) -> Result<(), Error> {
    let version = m.version;
    m.status = status;
    m.status_reason = reason;
    m.version += 1;
    m.updated_at = now();
    save_mandate(c, tenant, version, m).await?;
    crm_events::append(c, events::mandate_revoked(m, actor)).await?;
    tracing::info!(mandate_id = %m.id, status = status.as_str(), "mandate closed");
    Ok(())
}

/// Marks `m` EXPIRED (with its event) when it lapsed by `on`; returns whether it did.
pub async fn expire_if_lapsed<C: ConnectionTrait>(
    c: &C,
    tenant: Tenant,
    m: &mut Mandate,
    on: NaiveDate,
    actor: &Actor,
) -> Result<bool, Error> {
    if !rules::is_lapsed(m, on) {
        return Ok(false);
    }
    close_mandate(c, tenant, m, MandateStatus::Expired, None, actor).await?;
    Ok(true)
}

/// Records `reference` as used under `creditor_id` by `mandate_id`, or ALREADY_EXISTS.
async fn claim_reference<C: ConnectionTrait>(
    c: &C,
    tenant: Tenant,
    creditor_id: &str,
    reference: &str,
    mandate_id: Uuid,
) -> Result<(), Error> {
    let taken = || {
        Error::AlreadyExists(format!(
            "the mandate reference {reference} was already used under creditor identifier {creditor_id}"
        ))
    };
    let used = mandate_reference::Entity::find_in(tenant)
        .filter(mandate_reference::Column::CreditorId.eq(creditor_id))
        .filter(mandate_reference::Column::Reference.eq(reference))
        .one(c)
        .await?;
    if used.is_some() {
        return Err(taken());
    }
    mandate_reference::Entity::insert(mandate_reference::ActiveModel {
        id: Set(Uuid::now_v7()),
        organisation_id: Set(tenant.id()),
        creditor_id: Set(creditor_id.to_owned()),
        reference: Set(reference.to_owned()),
        mandate_id: Set(mandate_id),
        created_at: Set(now()),
    })
    .exec(c)
    .await
    .map_err(|e| match e.sql_err() {
        // A concurrent creation took it first.
        Some(SqlErr::UniqueConstraintViolation(_)) => taken(),
        _ => Error::Database(e),
    })?;
    Ok(())
}

impl Repo {
    /// Inserts a mandate with its mandate.created event, or returns the one created
    /// earlier with `request_id`.
    pub async fn create_mandate(
        &self,
        tenant: Tenant,
        draft: MandateDraft,
        request_id: Option<Uuid>,
        actor: &Actor,
    ) -> Result<Mandate, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        if let Some(request_id) = request_id {
            let earlier = mandate::Entity::find_in(tenant)
                .filter(mandate::Column::RequestId.eq(request_id))
                .one(&txn)
                .await?;
            if let Some(earlier) = earlier {
                return Ok(rows::mandate(earlier));
            }
        }
        let account = account_in(&txn, tenant, draft.creditor_account_id).await?;
        let id = Uuid::now_v7();
        claim_reference(&txn, tenant, &account.creditor_id, &draft.reference, id).await?;
        let at = now();
        let m = Mandate {
            id,
            organisation_id: tenant.id(),
            creditor_account_id: account.id,
            creditor_id: account.creditor_id,
            reference: draft.reference,
            client_id: draft.client_id,
            debtor_name: draft.debtor_name,
            iban_sealed: self.vault.seal(&draft.iban, tenant.id(), id)?,
            iban_masked: display_masked(&draft.iban),
            bic: draft.bic,
            signature_date: draft.signature_date,
            kind: draft.kind,
            scheme: draft.scheme,
            status: if draft.signature_date.is_some() {
                MandateStatus::Active
            } else {
                MandateStatus::PendingSignature
            },
            status_reason: None,
            last_collection_date: None,
            settled_since_reset: 0,
            account_changed_at: at,
            amendment: PendingAmendment::default(),
            created_at: at,
            updated_at: at,
            version: 1,
        };
        mandate::Entity::insert(rows::mandate_row(&m, request_id))
            .exec(&txn)
            .await?;
        crm_events::append(&txn, events::mandate_created(&m, actor)).await?;
        txn.commit().await?;
        self.committed();
        Ok(m)
    }

    /// Returns a mandate of the tenant.
    pub async fn mandate(&self, tenant: Tenant, id: Uuid) -> Result<Mandate, Error> {
        mandate_in(&self.db, tenant, id).await
    }

    /// Returns up to `limit` mandates after `after`, newest first.
    pub async fn list_mandates(
        &self,
        tenant: Tenant,
        filter: &MandateFilter,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<(Vec<Mandate>, bool), Error> {
        use mandate::Column as C;
        let mut query = mandate::Entity::find_in(tenant);
        if let Some(status) = filter.status {
            query = query.filter(C::Status.eq(status.as_str()));
        }
        if let Some(client) = filter.client_id {
            query = query.filter(C::ClientId.eq(client));
        }
        if let Some(account) = filter.creditor_account_id {
            query = query.filter(C::CreditorAccountId.eq(account));
        }
        if let Some(reference) = &filter.reference {
            query = query.filter(C::Reference.eq(reference.as_str()));
        }
        if let Some(after) = after {
            query = query.filter(C::Id.lt(after));
        }
        let found = query
            .order_by_desc(C::Id)
            .limit(limit + 1)
            .all(&self.db)
            .await?;
        let (found, more) = page_of(found, limit);
        Ok((found.into_iter().map(rows::mandate).collect(), more))
    }

    /// Applies a status transition (activate, suspend, resume, revoke). Resuming a
    /// mandate that lapsed meanwhile leaves it EXPIRED.
    pub async fn transition_mandate(
        &self,
        tenant: Tenant,
        id: Uuid,
        t: Transition,
        signature_date: Option<NaiveDate>,
        actor: &Actor,
    ) -> Result<Mandate, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let mut m = mandate_in(&txn, tenant, id).await?;
        let next = rules::apply(m.status, t).map_err(Error::FailedPrecondition)?;
        if t == Transition::Resume && expire_if_lapsed(&txn, tenant, &mut m, today(), actor).await?
        {
            txn.commit().await?;
            self.committed();
            return Ok(m);
        }
        let mut event: Option<NewEvent> = None;
        let version = m.version;
        m.status = next;
        m.version += 1;
        m.updated_at = now();
        if t == Transition::Activate {
            m.signature_date = signature_date;
        }
        if t == Transition::Revoke {
            event = Some(events::mandate_revoked(&m, actor));
        }
        save_mandate(&txn, tenant, version, &m).await?;
        if let Some(event) = event {
            crm_events::append(&txn, event).await?;
        }
        txn.commit().await?;
        self.committed();
        Ok(m)
    }

    /// Amends a mandate: a new IBAN (with its BIC), a new reference, or both. The next
    /// collection carries the original values; after an IBAN change it is FRST again.
    /// A lapsed mandate is marked EXPIRED and the amendment refused.
    pub async fn amend_mandate(
        &self,
        tenant: Tenant,
        id: Uuid,
        new_iban: Option<(String, Option<String>)>,
        new_reference: Option<String>,
        actor: &Actor,
    ) -> Result<Mandate, Error> {
        let txn = crm_db::begin_write(&self.db).await?;
        let mut m = mandate_in(&txn, tenant, id).await?;
        rules::apply(m.status, Transition::Amend).map_err(Error::FailedPrecondition)?;
        if expire_if_lapsed(&txn, tenant, &mut m, today(), actor).await? {
            txn.commit().await?;
            self.committed();
            return Err(Error::FailedPrecondition(
                "the mandate lapsed after 36 months without a collection; it is now expired".into(),
            ));
        }
        let mut problems = Vec::new();
        let current_iban = self.vault.open(&m.iban_sealed, tenant.id(), m.id)?;
        if let Some((iban, _)) = &new_iban
            && *iban == current_iban
        {
            problems.push((
                "new_iban".to_owned(),
                "is the mandate's current IBAN".to_owned(),
            ));
        }
        if new_reference.as_deref() == Some(m.reference.as_str()) {
            problems.push((
                "new_reference".to_owned(),
                "is the mandate's current reference".to_owned(),
            ));
        }
        if !problems.is_empty() {
            return Err(Error::InvalidArgument(problems));
        }
        let at = now();
        let mut change = Change {
            old_reference: None,
            old_iban: None,
            at,
        };
        let version = m.version;
        if let Some(reference) = new_reference {
            claim_reference(&txn, tenant, &m.creditor_id, &reference, m.id).await?;
            change.old_reference = Some(std::mem::replace(&mut m.reference, reference));
        }
        if let Some((iban, bic)) = new_iban {
            let same = rules::same_bank(&current_iban, &iban, m.bic.as_deref(), bic.as_deref());
            let old_sealed = std::mem::replace(
                &mut m.iban_sealed,
                self.vault.seal(&iban, tenant.id(), m.id)?,
            );
            let old_masked = std::mem::replace(&mut m.iban_masked, display_masked(&iban));
            change.old_iban = Some((old_sealed, old_masked, same));
            m.bic = bic;
            m.settled_since_reset = 0;
            m.account_changed_at = at;
        }
        m.amendment = rules::fold_amendment(&m.amendment, &change);
        m.version += 1;
        m.updated_at = at;
        save_mandate(&txn, tenant, version, &m).await?;
        txn.commit().await?;
        self.committed();
        tracing::info!(mandate_id = %m.id, "mandate amended");
        Ok(m)
    }
}
