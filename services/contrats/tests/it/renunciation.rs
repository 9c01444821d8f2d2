//! Renunciation (C. assur. L112-9): a consumer who bought at a distance or door to door
//! may renounce within 14 calendar days of the signature; it is a termination with the
//! cause RENUNCIATION, refused outside the window or without the right.

use crm_proto::clients::v1::ClientKind;
use crm_proto::contrats::v1 as pb;
use crm_proto::events::v1 as ev;
use prost::Message as _;
use tonic::Code;

use crate::support::{date, days_ago, draft, envs, today};

const RENUNCIATION: ev::TerminationCause = ev::TerminationCause::Renunciation;

/// Inside the window the contract is terminated with the cause RENUNCIATION, and the
/// event says so; the deadline is the signature date plus 14 days.
#[tokio::test]
async fn renunciation_inside_the_window() {
    for env in envs().await {
        let f = env.fixture().await;
        let c = env.active(&f, days_ago(14)).await;
        assert_eq!(c.renunciation_deadline, Some(date(today())));
        let done = env
            .terminate(f.admin, &c.id, RENUNCIATION, today())
            .await
            .expect("renounce on day 14");
        assert_eq!(done.status, pb::ContractStatus::Terminated as i32);
        assert_eq!(done.termination_cause, RENUNCIATION as i32);
        let event = env
            .outbox(f.admin.org)
            .await
            .into_iter()
            .find(|e| e.event_type == "contract.terminated")
            .expect("contract.terminated");
        let message = ev::ContractTerminated::decode(event.payload.as_slice()).expect("decode");
        assert_eq!(message.cause, RENUNCIATION as i32);
        assert_eq!(message.signature_date, Some(date(days_ago(14))));
        assert_eq!(message.termination_date, Some(date(today())));
    }
}

/// After the window a renunciation is FAILED_PRECONDITION and changes nothing; one
/// dated inside the window (the letter was sent then) is accepted when recorded later.
#[tokio::test]
async fn renunciation_outside_the_window() {
    for env in envs().await {
        let f = env.fixture().await;
        let c = env.active(&f, days_ago(15)).await;
        let err = env
            .terminate(f.admin, &c.id, RENUNCIATION, today())
            .await
            .expect_err("day 15");
        assert_eq!(err.code(), Code::FailedPrecondition);
        assert!(
            err.message().contains("renunciation period ended"),
            "{err:?}"
        );
        assert_eq!(env.get(f.admin, &c.id).await.expect("get"), c);
        env.terminate(f.admin, &c.id, RENUNCIATION, days_ago(2))
            .await
            .expect("dated on day 13");
        // A renunciation in the future (in every time zone) is bad input.
        let d = env.active(&f, today()).await;
        let err = env
            .terminate(f.admin, &d.id, RENUNCIATION, today() + chrono::Days::new(2))
            .await
            .expect_err("future");
        assert_eq!(err.code(), Code::InvalidArgument);
    }
}

/// A company, or a sale at the seller's premises, gives no right of renunciation; the
/// contract can still be terminated for another cause.
#[tokio::test]
async fn renunciation_needs_a_consumer_sold_at_a_distance() {
    for env in envs().await {
        let f = env.fixture().await;
        let company = env
            .new_client(f.admin, ClientKind::Company, &f.commercial)
            .await;
        let b2b = env
            .create(
                f.admin,
                pb::Contract {
                    client_id: company,
                    ..draft(&f)
                },
            )
            .await
            .expect("create");
        let on_premises = env
            .create(
                f.admin,
                pb::Contract {
                    sales_channel: ev::SalesChannel::OnPremises as i32,
                    ..draft(&f)
                },
            )
            .await
            .expect("create");
        for c in [b2b, on_premises] {
            env.send(f.admin, &c.id).await.expect("send");
            let signed = env.sign_on(f.admin, &c.id, today()).await.expect("sign");
            assert_eq!(signed.renunciation_deadline, None);
            let err = env
                .terminate(f.admin, &c.id, RENUNCIATION, today())
                .await
                .expect_err("no right");
            assert_eq!(err.code(), Code::FailedPrecondition);
            env.terminate(
                f.admin,
                &c.id,
                ev::TerminationCause::ClientCancellation,
                today(),
            )
            .await
            .expect("other cause");
        }
    }
}
