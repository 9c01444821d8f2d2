//! LogCall: a call's fields and their checks.

use crm_proto::activites::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Member, envs, in_days, violation_fields};

/// A logged call keeps its direction, duration, outcome and time.
#[tokio::test]
async fn a_call_is_logged_on_the_client_timeline() {
    for env in envs().await {
        let admin = Member::admin();
        let client = Uuid::now_v7();
        let when = in_days(-1);
        let call = env
            .client()
            .log_call(env.req(
                admin,
                pb::LogCallRequest {
                    client_id: client.to_string(),
                    direction: pb::CallDirection::Outbound as i32,
                    duration_seconds: 125,
                    outcome: " interested, send a quote ".into(),
                    occur_time: Some(when),
                    ..Default::default()
                },
            ))
            .await
            .expect("call")
            .into_inner()
            .activity
            .expect("activity");
        assert_eq!(call.kind, pb::ActivityKind::Call as i32);
        assert_eq!(call.occur_time, Some(when));
        assert_eq!(call.body, "interested, send a quote");
        match &call.details {
            Some(pb::activity::Details::Call(c)) => {
                assert_eq!(c.direction, pb::CallDirection::Outbound as i32);
                assert_eq!(c.duration_seconds, 125);
                assert_eq!(c.outcome, "interested, send a quote");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(env.timeline(admin, client).await.expect("tl"), vec![call]);
        env.running.stop().await.expect("stop");
    }
}

/// Every malformed field of a call is reported at once: missing client, direction,
/// outcome and time, a negative or too long duration, a time in the future.
#[tokio::test]
async fn call_violations_are_reported_together() {
    for env in envs().await {
        let admin = Member::admin();
        let err = env
            .client()
            .log_call(env.req(
                admin,
                pb::LogCallRequest {
                    duration_seconds: -1,
                    ..Default::default()
                },
            ))
            .await
            .expect_err("invalid");
        assert_eq!(err.code(), Code::InvalidArgument);
        assert_eq!(
            violation_fields(&err),
            [
                "client_id",
                "direction",
                "duration_seconds",
                "outcome",
                "occur_time"
            ]
        );
        let err = env
            .client()
            .log_call(env.req(
                admin,
                pb::LogCallRequest {
                    client_id: Uuid::now_v7().to_string(),
                    direction: 7,
                    duration_seconds: 86_401,
                    outcome: "x".repeat(2001),
                    occur_time: Some(in_days(1)),
                    ..Default::default()
                },
            ))
            .await
            .expect_err("invalid");
        assert_eq!(
            violation_fields(&err),
            ["direction", "duration_seconds", "outcome", "occur_time"]
        );
        env.running.stop().await.expect("stop");
    }
}
