//! The reads and the simple changes validate their ids, filters and pages.

use crm_proto::payments::v1 as pb;

use crate::support::{Member, envs, violations};

/// Every RPC naming one resource refuses an empty or malformed id with a field
/// violation naming it.
#[tokio::test]
async fn ids_are_checked() {
    for env in envs().await {
        let admin = Member::admin();
        let c = env.client();
        for id in ["", "not-a-uuid"] {
            let err = c
                .clone()
                .get_creditor_account(env.req(
                    admin,
                    pb::GetCreditorAccountRequest {
                        creditor_account_id: id.into(),
                    },
                ))
                .await
                .expect_err("account");
            assert_eq!(violations(&err), ["creditor_account_id"]);
            let err = c
                .clone()
                .get_mandate(env.req(
                    admin,
                    pb::GetMandateRequest {
                        mandate_id: id.into(),
                    },
                ))
                .await
                .expect_err("mandate");
            assert_eq!(violations(&err), ["mandate_id"]);
            let err = c
                .clone()
                .suspend_mandate(env.req(
                    admin,
                    pb::SuspendMandateRequest {
                        mandate_id: id.into(),
                    },
                ))
                .await
                .expect_err("suspend");
            assert_eq!(violations(&err), ["mandate_id"]);
            let err = c
                .clone()
                .resume_mandate(env.req(
                    admin,
                    pb::ResumeMandateRequest {
                        mandate_id: id.into(),
                    },
                ))
                .await
                .expect_err("resume");
            assert_eq!(violations(&err), ["mandate_id"]);
            let err = c
                .clone()
                .revoke_mandate(env.req(
                    admin,
                    pb::RevokeMandateRequest {
                        mandate_id: id.into(),
                    },
                ))
                .await
                .expect_err("revoke");
            assert_eq!(violations(&err), ["mandate_id"]);
            let err = c
                .clone()
                .activate_mandate(env.req(
                    admin,
                    pb::ActivateMandateRequest {
                        mandate_id: id.into(),
                        signature_date: None,
                    },
                ))
                .await
                .expect_err("activate");
            let mut fields = violations(&err);
            fields.sort();
            assert_eq!(fields, ["mandate_id", "signature_date"]);
            let err = c
                .clone()
                .get_schedule(env.req(
                    admin,
                    pb::GetScheduleRequest {
                        schedule_id: id.into(),
                    },
                ))
                .await
                .expect_err("schedule");
            assert_eq!(violations(&err), ["schedule_id"]);
            let err = c
                .clone()
                .get_batch(env.req(
                    admin,
                    pb::GetBatchRequest {
                        batch_id: id.into(),
                    },
                ))
                .await
                .expect_err("batch");
            assert_eq!(violations(&err), ["batch_id"]);
            let err = c
                .clone()
                .get_payment(env.req(
                    admin,
                    pb::GetPaymentRequest {
                        payment_id: id.into(),
                    },
                ))
                .await
                .expect_err("payment");
            assert_eq!(violations(&err), ["payment_id"]);
        }
    }
}

/// The lists refuse malformed filters, negative page sizes and foreign page tokens,
/// every problem at once.
#[tokio::test]
async fn list_filters_and_pages_are_checked() {
    for env in envs().await {
        let admin = Member::admin();
        let c = env.client();
        let err = c
            .clone()
            .list_creditor_accounts(env.req(
                admin,
                pb::ListCreditorAccountsRequest {
                    page_size: -1,
                    page_token: "garbage".into(),
                },
            ))
            .await
            .expect_err("accounts");
        let mut fields = violations(&err);
        fields.sort();
        assert_eq!(fields, ["page_size", "page_token"]);
        let err = c
            .clone()
            .list_schedules(env.req(
                admin,
                pb::ListSchedulesRequest {
                    contract_id: "a".into(),
                    mandate_id: "b".into(),
                    client_id: "c".into(),
                    page_size: -1,
                    ..Default::default()
                },
            ))
            .await
            .expect_err("schedules");
        let mut fields = violations(&err);
        fields.sort();
        assert_eq!(
            fields,
            ["client_id", "contract_id", "mandate_id", "page_size"]
        );
        let err = c
            .clone()
            .list_batches(env.req(
                admin,
                pb::ListBatchesRequest {
                    creditor_account_id: "a".into(),
                    status: 9,
                    page_token: "garbage".into(),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("batches");
        let mut fields = violations(&err);
        fields.sort();
        assert_eq!(fields, ["creditor_account_id", "page_token", "status"]);
        let err = c
            .clone()
            .list_payments(env.req(
                admin,
                pb::ListPaymentsRequest {
                    status: 99,
                    mandate_id: "a".into(),
                    contract_id: "b".into(),
                    batch_id: "c".into(),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("payments");
        let mut fields = violations(&err);
        fields.sort();
        assert_eq!(fields, ["batch_id", "contract_id", "mandate_id", "status"]);
    }
}
