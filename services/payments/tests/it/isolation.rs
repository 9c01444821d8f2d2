//! Tenant isolation: another organisation's payments, batches and schedules are
//! NOT_FOUND, exactly like missing ones, and never listed.

use crm_proto::payments::v1 as pb;
use tonic::Code;

use crate::support::{Member, collection_date, envs};

/// Every read by id of another organisation's resource is NOT_FOUND; its lists are
/// empty; a token without an organisation is refused.
#[tokio::test]
async fn other_organisations_see_nothing() {
    for env in envs().await {
        let admin = Member::admin();
        let account = env.account(admin).await;
        let m = env.mandate(admin, &account.id).await;
        let d = collection_date();
        let s = env.schedule(admin, &m, &[(d, 2_500)]).await;
        let prepared = env.prepare(admin, &account.id, d).await.expect("prepare");
        let batch = prepared.batch.expect("batch");
        let payment = &prepared.payments[0];
        let other = Member::admin();
        let c = env.client();
        let err = env.payment(other, &payment.id).await.expect_err("payment");
        assert_eq!(err.code(), Code::NotFound);
        let err = c
            .clone()
            .get_batch(env.req(
                other,
                pb::GetBatchRequest {
                    batch_id: batch.id.clone(),
                },
            ))
            .await
            .expect_err("batch");
        assert_eq!(err.code(), Code::NotFound);
        let err = c
            .clone()
            .get_schedule(env.req(
                other,
                pb::GetScheduleRequest {
                    schedule_id: s.id.clone(),
                },
            ))
            .await
            .expect_err("schedule");
        assert_eq!(err.code(), Code::NotFound);
        let err = c
            .clone()
            .get_payment(env.req(
                other,
                pb::GetPaymentRequest {
                    payment_id: "nope".into(),
                },
            ))
            .await
            .expect_err("malformed");
        assert_eq!(err.code(), Code::InvalidArgument);
        let payments = c
            .clone()
            .list_payments(env.req(
                other,
                pb::ListPaymentsRequest {
                    mandate_id: m.id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .expect("list")
            .into_inner()
            .payments;
        assert!(payments.is_empty());
        let batches = c
            .clone()
            .list_batches(env.req(other, pb::ListBatchesRequest::default()))
            .await
            .expect("list")
            .into_inner()
            .batches;
        assert!(batches.is_empty());
        let schedules = c
            .clone()
            .list_schedules(env.req(other, pb::ListSchedulesRequest::default()))
            .await
            .expect("list")
            .into_inner()
            .schedules;
        assert!(schedules.is_empty());
        // The owner reads them all.
        let mine = c
            .clone()
            .list_batches(env.req(admin, pb::ListBatchesRequest::default()))
            .await
            .expect("list")
            .into_inner()
            .batches;
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].id, batch.id);
        assert_eq!(
            env.payment(admin, &payment.id).await.expect("mine").id,
            payment.id
        );
        // A token naming no organisation gets nothing.
        let orphan = env
            .keys
            .signer
            .sign(&crm_kit::auth::tokens::AccessClaims::new(
                uuid::Uuid::now_v7(),
                None,
                None,
                chrono::Utc::now().timestamp(),
            ));
        let err = c
            .clone()
            .get_payment(crm_testkit::authed(
                &orphan.expect("token"),
                pb::GetPaymentRequest {
                    payment_id: payment.id.clone(),
                },
            ))
            .await
            .expect_err("no organisation");
        assert_eq!(err.code(), Code::PermissionDenied);
    }
}
