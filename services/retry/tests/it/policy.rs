//! GetPolicy and UpdatePolicy: defaults, changes, every validation rule, versions, roles
//! and isolation between organisations.

use crm_kit::Role;
use crm_proto::retry::v1 as pb;
use tonic::Code;

use crate::support::{Member, envs, monday, violations};

fn code(code: &str, max_retries: i32) -> pb::RetryableCode {
    pb::RetryableCode {
        code: code.into(),
        max_retries,
    }
}

/// An organisation that never changed its policy reads domain-rules 6.2's defaults at
/// version 0.
#[tokio::test]
async fn the_default_policy_is_domain_rules_6_2() {
    for env in envs(monday()).await {
        let p = env.policy(Member::admin()).await.expect("policy");
        assert_eq!(p.version, 0);
        assert_eq!(p.retryable_codes, vec![code("AM04", 0), code("MS03", 1)]);
        assert_eq!(p.max_retries, 3);
        assert_eq!(p.window_days, 30);
        assert_eq!(p.spacing_days, 8);
        assert!(p.align_to_pay_days);
        assert_eq!(p.submission_lead_days, 2);
        assert!(p.update_time.is_none());
        env.retry.stop().await.expect("stop");
    }
}

/// An update changes the masked fields only, bumps the version, records who and when,
/// and stays the organisation's own: another organisation still reads the defaults.
#[tokio::test]
async fn an_update_changes_the_masked_fields_for_the_organisation_only() {
    for env in envs(monday()).await {
        let admin = Member::admin();
        let changed = env
            .update_policy(
                admin,
                pb::Policy {
                    max_retries: 2,
                    window_days: 21,
                    spacing_days: 7,
                    // Not in the mask: ignored.
                    submission_lead_days: 9,
                    ..Default::default()
                },
                &[
                    "max_retries",
                    "window_days",
                    "spacing_days",
                    "align_to_pay_days",
                ],
            )
            .await
            .expect("update");
        assert_eq!(changed.version, 1);
        assert_eq!(changed.max_retries, 2);
        assert_eq!(changed.window_days, 21);
        assert_eq!(changed.spacing_days, 7);
        assert!(!changed.align_to_pay_days);
        assert_eq!(changed.submission_lead_days, 2);
        assert_eq!(changed.retryable_codes.len(), 2);
        assert_eq!(changed.update_user_id, admin.user.to_string());
        assert!(changed.update_time.is_some());
        assert_eq!(env.policy(admin).await.expect("read"), changed);

        // Without a mask, the fields set; codes are normalised to uppercase.
        let accountant = admin.with(Role::Accountant);
        let again = env
            .update_policy(
                accountant,
                pb::Policy {
                    retryable_codes: vec![code(" am04 ", 2)],
                    version: 1,
                    ..Default::default()
                },
                &[],
            )
            .await
            .expect("implicit mask");
        assert_eq!(again.version, 2);
        assert_eq!(again.retryable_codes, vec![code("AM04", 2)]);
        assert_eq!(again.max_retries, 2);

        let other = env.policy(Member::admin()).await.expect("other");
        assert_eq!(other.version, 0);
        assert_eq!(other.max_retries, 3);
        env.retry.stop().await.expect("stop");
    }
}

/// Every broken rule of one request is reported at once, and nothing is written.
#[tokio::test]
async fn every_violation_is_reported_together() {
    for env in envs(monday()).await {
        let admin = Member::admin();
        let err = env
            .update_policy(
                admin,
                pb::Policy {
                    retryable_codes: vec![
                        code("AM04", -1),
                        code("", 0),
                        code("AM0", 0),
                        code("AM04", 0),
                        code("ZZ99", 0),
                        code("MD01", 0),
                        code("AC04", 0),
                        code("AG02", 0),
                        code("MD06", 0),
                        code("MS03", 0),
                        code("MS02", 0),
                    ],
                    max_retries: 6,
                    window_days: 61,
                    spacing_days: 0,
                    submission_lead_days: -2,
                    ..Default::default()
                },
                &[
                    "retryable_codes",
                    "max_retries",
                    "window_days",
                    "spacing_days",
                    "submission_lead_days",
                    "version",
                    "colour",
                ],
            )
            .await
            .expect_err("invalid");
        let fields = violations(&err);
        for expected in [
            "update_mask",
            "policy.retryable_codes[0].max_retries",
            "policy.retryable_codes[1].code",
            "policy.retryable_codes[2].code",
            "policy.retryable_codes[3].code",
            "policy.retryable_codes[4].code",
            "policy.retryable_codes[5].code",
            "policy.retryable_codes[6].code",
            "policy.retryable_codes[7].code",
            "policy.retryable_codes[8].code",
            "policy.retryable_codes[9].max_retries",
            "policy.retryable_codes[10].code",
            "policy.max_retries",
            "policy.window_days",
            "policy.spacing_days",
            "policy.submission_lead_days",
        ] {
            assert!(
                fields.iter().any(|f| f == expected),
                "{expected} missing in {fields:?}"
            );
        }
        assert_eq!(
            fields.iter().filter(|f| *f == "update_mask").count(),
            2,
            "{fields:?}"
        );
        // Hard codes are refused as such.
        use tonic_types::StatusExt as _;
        let details = err.get_details_bad_request().expect("details");
        let hard = details
            .field_violations
            .iter()
            .find(|f| f.field == "policy.retryable_codes[5].code")
            .expect("MD01");
        assert!(hard.description.contains("hard"), "{hard:?}");

        // A spacing longer than the window, and a mask naming nothing.
        let err = env
            .update_policy(
                admin,
                pb::Policy {
                    window_days: 5,
                    spacing_days: 6,
                    ..Default::default()
                },
                &["window_days", "spacing_days"],
            )
            .await
            .expect_err("spacing");
        assert_eq!(violations(&err), ["policy.spacing_days"]);
        let err = env
            .update_policy(admin, pb::Policy::default(), &[])
            .await
            .expect_err("empty");
        assert_eq!(violations(&err), ["update_mask"]);
        let err = env
            .client()
            .update_policy(env.req(admin, pb::UpdatePolicyRequest::default()))
            .await
            .expect_err("no policy");
        assert_eq!(violations(&err), ["policy"]);

        assert_eq!(env.policy(admin).await.expect("read").version, 0);
        env.retry.stop().await.expect("stop");
    }
}

/// Limits at their bounds are accepted: no retry at all, 5 retries, 60 days, lead 10.
#[tokio::test]
async fn bounds_are_accepted() {
    for env in envs(monday()).await {
        let admin = Member::admin();
        for (max_retries, window_days, lead) in [(0, 1, 1), (5, 60, 10)] {
            let p = env
                .update_policy(
                    admin,
                    pb::Policy {
                        retryable_codes: vec![code("MS03", 1)],
                        max_retries,
                        window_days,
                        spacing_days: 1,
                        submission_lead_days: lead,
                        ..Default::default()
                    },
                    &[
                        "retryable_codes",
                        "max_retries",
                        "window_days",
                        "spacing_days",
                        "submission_lead_days",
                    ],
                )
                .await
                .expect("bounds");
            assert_eq!(p.max_retries, max_retries);
            assert_eq!(p.window_days, window_days);
        }
        // An empty list of codes: nothing is retried.
        let p = env
            .update_policy(admin, pb::Policy::default(), &["retryable_codes"])
            .await
            .expect("no codes");
        assert!(p.retryable_codes.is_empty());
        env.retry.stop().await.expect("stop");
    }
}

/// A stale version is ABORTED; the version read, or none, goes through.
#[tokio::test]
async fn a_stale_version_is_aborted() {
    for env in envs(monday()).await {
        let admin = Member::admin();
        let set = |n: i32, version: i64| pb::Policy {
            max_retries: n,
            version,
            ..Default::default()
        };
        env.update_policy(admin, set(2, 0), &["max_retries"])
            .await
            .expect("first");
        let err = env
            .update_policy(admin, set(1, 7), &["max_retries"])
            .await
            .expect_err("stale");
        assert_eq!(err.code(), Code::Aborted);
        let p = env
            .update_policy(admin, set(1, 1), &["max_retries"])
            .await
            .expect("current");
        assert_eq!((p.max_retries, p.version), (1, 2));
        // Changing nothing writes nothing.
        let same = env
            .update_policy(admin, set(1, 0), &["max_retries"])
            .await
            .expect("same");
        assert_eq!(same.version, 2);
        env.retry.stop().await.expect("stop");
    }
}

/// Owners, admins and accountants change the policy; managers and viewers only read it;
/// sales agents see nothing; a token without an organisation is refused.
#[tokio::test]
async fn roles_decide_who_reads_and_who_changes() {
    for env in envs(monday()).await {
        let admin = Member::admin();
        let change = pb::Policy {
            max_retries: 2,
            ..Default::default()
        };
        for role in [Role::Owner, Role::Admin, Role::Accountant] {
            env.update_policy(admin.with(role), change.clone(), &["max_retries"])
                .await
                .unwrap_or_else(|e| panic!("{role}: {e:?}"));
        }
        for role in [Role::Manager, Role::Viewer, Role::Agent] {
            let err = env
                .update_policy(admin.with(role), change.clone(), &["max_retries"])
                .await
                .expect_err("refused");
            assert_eq!(err.code(), Code::PermissionDenied, "{role}");
        }
        for role in [Role::Manager, Role::Viewer, Role::Accountant, Role::Owner] {
            env.policy(admin.with(role)).await.expect("reads");
        }
        let err = env
            .policy(admin.with(Role::Agent))
            .await
            .expect_err("agent");
        assert_eq!(err.code(), Code::PermissionDenied);
        let err = env
            .client()
            .get_policy(tonic::Request::new(pb::GetPolicyRequest {}))
            .await
            .expect_err("anonymous");
        assert_eq!(err.code(), Code::Unauthenticated);
        env.retry.stop().await.expect("stop");
    }
}
