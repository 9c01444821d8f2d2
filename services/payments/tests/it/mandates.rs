//! Creditor accounts, settings and mandates: validation, references never reused, IBANs
//! encrypted and masked, status changes, amendments, roles and events.

use chrono::Days;
use crm_kit::Role;
use crm_proto::events::v1 as ev;
use crm_proto::payments::v1 as pb;
use tonic::Code;

use crate::support::{Member, date, decode, envs, iban, today, umr, violations};

/// A creditor account with every field wrong lists each problem; a good one is
/// created, read back and listed; a repeated request_id returns the first.
#[tokio::test]
async fn creditor_accounts_are_validated_created_and_listed() {
    for env in envs().await {
        let admin = Member::admin();
        let err = env
            .client()
            .create_creditor_account(env.req(
                admin,
                pb::CreateCreditorAccountRequest {
                    creditor_account: Some(pb::CreditorAccount {
                        id: "x".into(),
                        name: "n".repeat(71),
                        creditor_identifier: "FR07ZZZ519993".into(),
                        iban: "FR7630006000011234567890188".into(),
                        bic: "NOPE".into(),
                        ..Default::default()
                    }),
                    request_id: "not-a-uuid".into(),
                },
            ))
            .await
            .expect_err("invalid");
        let mut fields = violations(&err);
        fields.sort();
        assert_eq!(
            fields,
            [
                "creditor_account.bic",
                "creditor_account.creditor_identifier",
                "creditor_account.iban",
                "creditor_account.id",
                "creditor_account.name",
                "request_id",
            ]
        );
        let err = env
            .client()
            .create_creditor_account(env.req(admin, pb::CreateCreditorAccountRequest::default()))
            .await
            .expect_err("missing");
        assert_eq!(violations(&err), ["creditor_account"]);

        let request_id = uuid::Uuid::new_v4().to_string();
        let make = || pb::CreateCreditorAccountRequest {
            creditor_account: Some(pb::CreditorAccount {
                name: "Mutuelle du Centre".into(),
                creditor_identifier: "fr72 zzz 123456".into(),
                iban: "fr76 3000 6000 0112 3456 7890 189".into(),
                ..Default::default()
            }),
            request_id: request_id.clone(),
        };
        let first = env
            .client()
            .create_creditor_account(env.req(admin, make()))
            .await
            .expect("create")
            .into_inner()
            .creditor_account
            .expect("account");
        assert_eq!(first.creditor_identifier, "FR72ZZZ123456");
        assert_eq!(first.iban, "FR7630006000011234567890189");
        let again = env
            .client()
            .create_creditor_account(env.req(admin, make()))
            .await
            .expect("replay")
            .into_inner()
            .creditor_account
            .expect("account");
        assert_eq!(again.id, first.id);
        let listed = env
            .client()
            .list_creditor_accounts(env.req(
                admin.with(Role::Viewer),
                pb::ListCreditorAccountsRequest::default(),
            ))
            .await
            .expect("list")
            .into_inner();
        assert_eq!(listed.creditor_accounts.len(), 1);
        let other = Member::admin();
        let err = env
            .client()
            .get_creditor_account(env.req(
                other,
                pb::GetCreditorAccountRequest {
                    creditor_account_id: first.id.clone(),
                },
            ))
            .await
            .expect_err("other organisation");
        assert_eq!(err.code(), Code::NotFound);
    }
}

/// Settings start at the defaults (2 TARGET days, 14 days' notice), are changed within
/// their bounds by owners, admins and accountants only, with a version check.
#[tokio::test]
async fn settings_have_defaults_bounds_and_a_version() {
    for env in envs().await {
        let admin = Member::admin();
        let got = env
            .client()
            .get_payment_settings(env.req(admin, pb::GetPaymentSettingsRequest {}))
            .await
            .expect("get")
            .into_inner()
            .settings
            .expect("settings");
        assert_eq!(
            (
                got.submission_lead_days,
                got.prenotification_days,
                got.version
            ),
            (2, 14, 0)
        );
        let update = |lead, notice, version| pb::UpdatePaymentSettingsRequest {
            settings: Some(pb::PaymentSettings {
                submission_lead_days: lead,
                prenotification_days: notice,
                version,
            }),
        };
        let err = env
            .client()
            .update_payment_settings(env.req(admin, update(0, 61, -1)))
            .await
            .expect_err("bounds");
        let mut fields = violations(&err);
        fields.sort();
        assert_eq!(
            fields,
            [
                "settings.prenotification_days",
                "settings.submission_lead_days",
                "settings.version"
            ]
        );
        let err = env
            .client()
            .update_payment_settings(env.req(admin.with(Role::Manager), update(3, 7, 0)))
            .await
            .expect_err("manager");
        assert_eq!(err.code(), Code::PermissionDenied);
        let set = env
            .client()
            .update_payment_settings(env.req(admin.with(Role::Accountant), update(3, 7, 0)))
            .await
            .expect("accountant")
            .into_inner()
            .settings
            .expect("settings");
        assert_eq!(
            (
                set.submission_lead_days,
                set.prenotification_days,
                set.version
            ),
            (3, 7, 1)
        );
        let err = env
            .client()
            .update_payment_settings(env.req(admin, update(4, 7, 5)))
            .await
            .expect_err("stale");
        assert_eq!(err.code(), Code::Aborted);
    }
}

/// CreateMandate lists every problem of a bad request at once.
#[tokio::test]
async fn create_mandate_reports_every_violation() {
    for env in envs().await {
        let admin = Member::admin();
        let err = env
            .client()
            .create_mandate(env.req(
                admin,
                pb::CreateMandateRequest {
                    creditor_account_id: "nope".into(),
                    reference: "UMR//1".into(),
                    client_id: String::new(),
                    debtor_name: String::new(),
                    iban: "FR7630006000011234567890188".into(),
                    bic: "12".into(),
                    signature_date: date(today() + Days::new(2)),
                    r#type: 0,
                    scheme: 9,
                    request_id: "x".into(),
                },
            ))
            .await
            .expect_err("invalid");
        let mut fields = violations(&err);
        fields.sort();
        assert_eq!(
            fields,
            [
                "bic",
                "client_id",
                "creditor_account_id",
                "debtor_name",
                "iban",
                "reference",
                "request_id",
                "scheme",
                "signature_date",
                "type",
            ]
        );
        for bad in ["", "/UMR", "UMR/", "UMR_1", &"A".repeat(36)] {
            let account = env.account(admin).await;
            let err = env
                .create_mandate(admin, env.mandate_request(&account.id, bad, &iban()))
                .await
                .expect_err("bad reference");
            assert_eq!(violations(&err), ["reference"], "{bad}");
        }
        let account = env.account(admin).await;
        let err = env
            .create_mandate(
                admin,
                env.mandate_request(&account.id, &umr(), "DE89370400440532013001"),
            )
            .await
            .expect_err("checksum");
        assert_eq!(violations(&err), ["iban"]);
        let err = env
            .create_mandate(
                admin,
                env.mandate_request(&account.id, &umr(), "FR76300060000112345678901"),
            )
            .await
            .expect_err("length");
        assert_eq!(violations(&err), ["iban"]);
        // An unknown creditor account, like another organisation's, is NOT_FOUND.
        let err = env
            .create_mandate(
                admin,
                env.mandate_request(&uuid::Uuid::now_v7().to_string(), &umr(), &iban()),
            )
            .await
            .expect_err("unknown account");
        assert_eq!(err.code(), Code::NotFound);
    }
}

/// The IBAN is stored encrypted (no table holds it in clear), returned masked, and
/// mandate.created carries the masked form only.
#[tokio::test]
async fn ibans_are_encrypted_at_rest_and_shown_masked() {
    for env in envs().await {
        let admin = Member::admin();
        let account = env.account(admin).await;
        let clear = "FR7630006000011234567890189";
        let m = env
            .create_mandate(
                admin,
                env.mandate_request(&account.id, &umr(), "fr76 3000 6000 0112 3456 7890 189"),
            )
            .await
            .expect("create");
        assert_eq!(m.iban_masked, "FR76 **** **** **** **** ***0 189");
        assert_eq!(m.status, ev::MandateStatus::Active as i32);
        let read = env
            .get_mandate(admin.with(Role::Viewer), &m.id)
            .await
            .expect("get");
        assert_eq!(read.iban_masked, m.iban_masked);
        for table in ["mandates", "outbox"] {
            let text = env.table_text(table).await;
            assert!(!text.contains(clear), "{table} holds the IBAN in clear");
            assert!(
                !text.contains("30006000011234567890"),
                "{table} holds the account"
            );
        }
        let sealed = env.table_text("mandates").await;
        assert!(sealed.contains("v1."), "the sealed form is stored");
        let events = env.outbox(admin.org, "mandate.created").await;
        assert_eq!(events.len(), 1);
        let created: ev::MandateCreated = decode(&events[0]);
        assert_eq!(created.iban_masked, m.iban_masked);
        assert_eq!(created.reference, m.reference);
        assert_eq!(created.status, ev::MandateStatus::Active as i32);
    }
}

/// A reference is never used twice under one ICS: not while the mandate lives, not
/// after it is revoked, not after it was amended away; another organisation may use it.
#[tokio::test]
async fn a_mandate_reference_is_never_reused() {
    for env in envs().await {
        let admin = Member::admin();
        let account = env.account(admin).await;
        let reference = umr();
        let m = env
            .create_mandate(admin, env.mandate_request(&account.id, &reference, &iban()))
            .await
            .expect("create");
        let err = env
            .create_mandate(admin, env.mandate_request(&account.id, &reference, &iban()))
            .await
            .expect_err("live duplicate");
        assert_eq!(err.code(), Code::AlreadyExists);
        // Another account with the same ICS shares the reference space.
        let second = env.account(admin).await;
        let err = env
            .create_mandate(admin, env.mandate_request(&second.id, &reference, &iban()))
            .await
            .expect_err("same ICS");
        assert_eq!(err.code(), Code::AlreadyExists);
        let revoked = env
            .client()
            .revoke_mandate(env.req(
                admin,
                pb::RevokeMandateRequest {
                    mandate_id: m.id.clone(),
                },
            ))
            .await
            .expect("revoke")
            .into_inner()
            .mandate
            .expect("mandate");
        assert_eq!(revoked.status, ev::MandateStatus::Revoked as i32);
        let err = env
            .create_mandate(admin, env.mandate_request(&account.id, &reference, &iban()))
            .await
            .expect_err("revoked duplicate");
        assert_eq!(err.code(), Code::AlreadyExists);

        let n = env.mandate(admin, &account.id).await;
        let old = n.reference.clone();
        let renamed = umr();
        env.client()
            .amend_mandate(env.req(
                admin,
                pb::AmendMandateRequest {
                    mandate_id: n.id.clone(),
                    new_reference: renamed.clone(),
                    ..Default::default()
                },
            ))
            .await
            .expect("amend");
        for taken in [old, renamed, reference.clone()] {
            let err = env
                .create_mandate(admin, env.mandate_request(&account.id, &taken, &iban()))
                .await
                .expect_err("used before");
            assert_eq!(err.code(), Code::AlreadyExists, "{taken}");
        }
        let other = Member::admin();
        let theirs = env.account(other).await;
        env.create_mandate(other, env.mandate_request(&theirs.id, &reference, &iban()))
            .await
            .expect("another organisation");
    }
}

/// Status changes follow the state machine; revoking publishes mandate.revoked; a
/// closed mandate refuses every change; unsigned mandates wait for ActivateMandate.
#[tokio::test]
async fn mandate_status_changes_follow_the_state_machine() {
    for env in envs().await {
        let admin = Member::admin();
        let account = env.account(admin).await;
        let mut request = env.mandate_request(&account.id, &umr(), &iban());
        request.signature_date = None;
        let m = env.create_mandate(admin, request).await.expect("create");
        assert_eq!(m.status, ev::MandateStatus::PendingSignature as i32);
        let c = env.client();
        let err = c
            .clone()
            .activate_mandate(env.req(
                admin,
                pb::ActivateMandateRequest {
                    mandate_id: m.id.clone(),
                    signature_date: date(today() + Days::new(1)),
                },
            ))
            .await
            .expect_err("future");
        assert_eq!(violations(&err), ["signature_date"]);
        let err = c
            .clone()
            .suspend_mandate(env.req(
                admin,
                pb::SuspendMandateRequest {
                    mandate_id: m.id.clone(),
                },
            ))
            .await
            .expect_err("pending");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let active = c
            .clone()
            .activate_mandate(env.req(
                admin,
                pb::ActivateMandateRequest {
                    mandate_id: m.id.clone(),
                    signature_date: date(today()),
                },
            ))
            .await
            .expect("activate")
            .into_inner()
            .mandate
            .expect("mandate");
        assert_eq!(active.status, ev::MandateStatus::Active as i32);
        let suspended = c
            .clone()
            .suspend_mandate(env.req(
                admin,
                pb::SuspendMandateRequest {
                    mandate_id: m.id.clone(),
                },
            ))
            .await
            .expect("suspend")
            .into_inner()
            .mandate
            .expect("mandate");
        assert_eq!(suspended.status, ev::MandateStatus::Suspended as i32);
        let resumed = c
            .clone()
            .resume_mandate(env.req(
                admin,
                pb::ResumeMandateRequest {
                    mandate_id: m.id.clone(),
                },
            ))
            .await
            .expect("resume")
            .into_inner()
            .mandate
            .expect("mandate");
        assert_eq!(resumed.status, ev::MandateStatus::Active as i32);
        c.clone()
            .revoke_mandate(env.req(
                admin,
                pb::RevokeMandateRequest {
                    mandate_id: m.id.clone(),
                },
            ))
            .await
            .expect("revoke");
        let err = c
            .clone()
            .revoke_mandate(env.req(
                admin,
                pb::RevokeMandateRequest {
                    mandate_id: m.id.clone(),
                },
            ))
            .await
            .expect_err("twice");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let err = c
            .clone()
            .amend_mandate(env.req(
                admin,
                pb::AmendMandateRequest {
                    mandate_id: m.id.clone(),
                    new_iban: iban(),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("closed");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let revoked = env.outbox(admin.org, "mandate.revoked").await;
        assert_eq!(revoked.len(), 1);
        let event: ev::MandateRevoked = decode(&revoked[0]);
        assert_eq!(event.status, ev::MandateStatus::Revoked as i32);
        assert_eq!(event.reference, m.reference);
    }
}

/// AmendMandate validates its fields, refuses the current values, and records the
/// amendment the next collection carries (original reference, original IBAN masked).
#[tokio::test]
async fn amendments_are_validated_and_recorded() {
    for env in envs().await {
        let admin = Member::admin();
        let account = env.account(admin).await;
        let current = iban();
        let m = env
            .create_mandate(admin, env.mandate_request(&account.id, &umr(), &current))
            .await
            .expect("create");
        let amend = |new_iban: &str, new_bic: &str, new_reference: &str| pb::AmendMandateRequest {
            mandate_id: m.id.clone(),
            new_iban: new_iban.into(),
            new_bic: new_bic.into(),
            new_reference: new_reference.into(),
        };
        let c = env.client();
        let err = c
            .clone()
            .amend_mandate(env.req(admin, amend("", "", "")))
            .await
            .expect_err("nothing");
        assert_eq!(violations(&err), ["new_iban"]);
        let err = c
            .clone()
            .amend_mandate(env.req(admin, amend("FR00", "XX", "A//B")))
            .await
            .expect_err("bad");
        let mut fields = violations(&err);
        fields.sort();
        assert_eq!(fields, ["new_bic", "new_iban", "new_reference"]);
        let err = c
            .clone()
            .amend_mandate(env.req(admin, amend("", "BNPAFRPP", &umr())))
            .await
            .expect_err("bic alone");
        assert_eq!(violations(&err), ["new_bic"]);
        let err = c
            .clone()
            .amend_mandate(env.req(admin, amend(&current, "", &m.reference)))
            .await
            .expect_err("same values");
        let mut fields = violations(&err);
        fields.sort();
        assert_eq!(fields, ["new_iban", "new_reference"]);
        let err = c
            .clone()
            .amend_mandate(env.req(admin.with(Role::Agent), amend(&iban(), "", "")))
            .await
            .expect_err("agent");
        assert_eq!(err.code(), Code::PermissionDenied);
        let new_reference = umr();
        let amended = c
            .clone()
            .amend_mandate(env.req(admin, amend("DE89370400440532013000", "", &new_reference)))
            .await
            .expect("amend")
            .into_inner()
            .mandate
            .expect("mandate");
        assert_eq!(amended.reference, new_reference);
        assert_eq!(amended.iban_masked, "DE89 **** **** **** **30 00");
        let pending = amended.pending_amendment.expect("pending amendment");
        assert_eq!(pending.original_reference, m.reference);
        assert_eq!(pending.original_iban_masked, m.iban_masked);
        assert!(pending.same_mandate_new_account, "another bank: SMNDA");
        assert!(amended.version > m.version);
    }
}

/// Viewers, agents and managers read mandates but may not create or revoke them;
/// accountants may. Another organisation's mandate is NOT_FOUND.
#[tokio::test]
async fn roles_and_tenants_are_enforced_on_mandates() {
    for env in envs().await {
        let admin = Member::admin();
        let account = env.account(admin).await;
        let m = env.mandate(admin, &account.id).await;
        for role in [Role::Viewer, Role::Agent, Role::Manager] {
            let err = env
                .create_mandate(
                    admin.with(role),
                    env.mandate_request(&account.id, &umr(), &iban()),
                )
                .await
                .expect_err("refused");
            assert_eq!(err.code(), Code::PermissionDenied, "{role:?}");
            env.get_mandate(admin.with(role), &m.id)
                .await
                .expect("reads");
        }
        env.create_mandate(
            admin.with(Role::Accountant),
            env.mandate_request(&account.id, &umr(), &iban()),
        )
        .await
        .expect("accountant");
        let other = Member::admin();
        let err = env.get_mandate(other, &m.id).await.expect_err("other");
        assert_eq!(err.code(), Code::NotFound);
        let err = env
            .client()
            .revoke_mandate(env.req(
                other,
                pb::RevokeMandateRequest {
                    mandate_id: m.id.clone(),
                },
            ))
            .await
            .expect_err("other");
        assert_eq!(err.code(), Code::NotFound);
        let listed = env
            .client()
            .list_mandates(env.req(other, pb::ListMandatesRequest::default()))
            .await
            .expect("list")
            .into_inner();
        assert!(listed.mandates.is_empty());
        let err = env
            .client()
            .list_mandates(env.req(
                admin,
                pb::ListMandatesRequest {
                    page_size: -1,
                    status: 42,
                    client_id: "x".into(),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("bad list");
        let mut fields = violations(&err);
        fields.sort();
        assert_eq!(fields, ["client_id", "page_size", "status"]);
    }
}

/// ListMandates pages with a token bound to its filters.
#[tokio::test]
async fn mandates_are_listed_in_pages() {
    for env in envs().await {
        let admin = Member::admin();
        let account = env.account(admin).await;
        for _ in 0..5 {
            env.mandate(admin, &account.id).await;
        }
        let request = |token: String| pb::ListMandatesRequest {
            page_size: 2,
            page_token: token,
            status: ev::MandateStatus::Active as i32,
            ..Default::default()
        };
        let mut seen = Vec::new();
        let mut token = String::new();
        loop {
            let page = env
                .client()
                .list_mandates(env.req(admin, request(token.clone())))
                .await
                .expect("page")
                .into_inner();
            seen.extend(page.mandates.into_iter().map(|m| m.id));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(seen.len(), 5);
        let mut sorted = seen.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(seen, sorted, "newest first");
        let first = env
            .client()
            .list_mandates(env.req(admin, request(String::new())))
            .await
            .expect("page")
            .into_inner();
        let err = env
            .client()
            .list_mandates(env.req(
                admin,
                pb::ListMandatesRequest {
                    page_token: first.next_page_token,
                    ..Default::default()
                },
            ))
            .await
            .expect_err("filters changed");
        assert_eq!(violations(&err), ["page_token"]);
    }
}
