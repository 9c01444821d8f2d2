//! ListAttempts, ListChains and GetChain: filters, keyset pages bound to their filters,
//! validation, roles, and isolation between organisations.

use crm_events::consume::Outcome;
use crm_kit::Role;
use crm_proto::events::v1 as ev;
use crm_proto::retry::v1 as pb;
use tonic::Code;
use uuid::Uuid;

use crate::support::{Member, envs, meta, monday, rejected, state, violations};

/// Five chains of one client and two of another: filters by payment, client and status
/// select the right attempts, pages of two walk them newest first without repeats, and
/// a token reused with other filters is refused.
#[tokio::test]
async fn attempts_are_filtered_and_paged() {
    for env in envs(monday()).await {
        let admin = Member::admin();
        let client = Uuid::now_v7();
        let mut payments = Vec::new();
        for i in 0..7 {
            let payment = Uuid::now_v7();
            let mut e = rejected(admin.org, payment, "AM04", monday());
            if i < 5 {
                e.client_id = client.to_string();
            }
            env.reject(&e).await;
            payments.push(payment);
        }
        // One chain cancelled: its attempt is ABORTED.
        env.cancel(admin, payments[0]).await.expect("cancel");

        let all = env
            .attempts(admin, pb::ListAttemptsRequest::default())
            .await
            .expect("all");
        assert_eq!(all.attempts.len(), 7);
        assert!(all.next_page_token.is_empty());
        assert_eq!(
            all.attempts[0].presented_payment_id,
            payments[6].to_string()
        );

        let by_payment = env
            .attempts(
                admin,
                pb::ListAttemptsRequest {
                    payment_id: payments[3].to_string(),
                    ..Default::default()
                },
            )
            .await
            .expect("payment");
        assert_eq!(by_payment.attempts.len(), 1);
        assert_eq!(
            by_payment.attempts[0].presented_payment_id,
            payments[3].to_string()
        );
        let unknown = env
            .attempts(
                admin,
                pb::ListAttemptsRequest {
                    payment_id: Uuid::now_v7().to_string(),
                    ..Default::default()
                },
            )
            .await
            .expect("unknown payment");
        assert!(unknown.attempts.is_empty());

        let filter = |page_token: String| pb::ListAttemptsRequest {
            page_size: 2,
            page_token,
            client_id: client.to_string(),
            status: pb::AttemptStatus::Scheduled as i32,
            ..Default::default()
        };
        let mut seen = Vec::new();
        let mut token = String::new();
        loop {
            let page = env.attempts(admin, filter(token)).await.expect("page");
            assert!(page.attempts.len() <= 2);
            seen.extend(page.attempts.iter().map(|a| a.presented_payment_id.clone()));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        let expected: Vec<String> = payments[1..5].iter().rev().map(|p| p.to_string()).collect();
        assert_eq!(seen, expected);

        let first = env
            .attempts(admin, filter(String::new()))
            .await
            .expect("page");
        let err = env
            .attempts(
                admin,
                pb::ListAttemptsRequest {
                    page_token: first.next_page_token,
                    ..Default::default()
                },
            )
            .await
            .expect_err("other filters");
        assert_eq!(violations(&err), ["page_token"]);
        env.retry.stop().await.expect("stop");
    }
}

/// Malformed filters are reported together; an unknown status or state too.
#[tokio::test]
async fn malformed_filters_are_invalid() {
    for env in envs(monday()).await {
        let admin = Member::admin();
        let err = env
            .attempts(
                admin,
                pb::ListAttemptsRequest {
                    page_size: -1,
                    page_token: "%%%".into(),
                    payment_id: "x".into(),
                    client_id: "y".into(),
                    status: 42,
                },
            )
            .await
            .expect_err("invalid");
        assert_eq!(
            violations(&err),
            [
                "payment_id",
                "client_id",
                "status",
                "page_size",
                "page_token"
            ]
        );
        let err = env
            .client()
            .list_chains(env.req(
                admin,
                pb::ListChainsRequest {
                    client_id: "a".into(),
                    mandate_id: "b".into(),
                    invoice_id: "c".into(),
                    state: 99,
                    ..Default::default()
                },
            ))
            .await
            .expect_err("invalid");
        assert_eq!(
            violations(&err),
            ["client_id", "mandate_id", "invoice_id", "state"]
        );
        let err = env
            .client()
            .get_chain(env.req(
                admin,
                pb::GetChainRequest {
                    payment_id: String::new(),
                },
            ))
            .await
            .expect_err("no id");
        assert_eq!(violations(&err), ["payment_id"]);
        env.retry.stop().await.expect("stop");
    }
}

/// ListChains filters by mandate, invoice and state, and carries each chain's attempts;
/// an exhausted-at-once chain (no attempt) is listed too.
#[tokio::test]
async fn chains_are_listed_with_their_attempts() {
    for env in envs(monday()).await {
        let admin = Member::admin();
        let scheduled = rejected(admin.org, Uuid::now_v7(), "AM04", monday());
        let hard = rejected(admin.org, Uuid::now_v7(), "AC04", monday());
        env.reject(&scheduled).await;
        env.reject(&hard).await;
        let list = |request: pb::ListChainsRequest| {
            let env = &env;
            async move {
                env.client()
                    .list_chains(env.req(admin, request))
                    .await
                    .expect("list")
                    .into_inner()
                    .chains
            }
        };
        let all = list(pb::ListChainsRequest::default()).await;
        assert_eq!(all.len(), 2);
        let exhausted = list(pb::ListChainsRequest {
            state: pb::ChainState::Exhausted as i32,
            ..Default::default()
        })
        .await;
        assert_eq!(exhausted.len(), 1);
        assert_eq!(exhausted[0].payment_id, hard.payment_id);
        assert!(exhausted[0].attempts.is_empty());
        let by_mandate = list(pb::ListChainsRequest {
            mandate_id: scheduled.mandate_id.clone(),
            ..Default::default()
        })
        .await;
        assert_eq!(by_mandate.len(), 1);
        assert_eq!(by_mandate[0].attempts.len(), 1);
        let by_invoice = list(pb::ListChainsRequest {
            invoice_id: hard.invoice_id.clone(),
            ..Default::default()
        })
        .await;
        assert_eq!(by_invoice.len(), 1);
        assert_eq!(state(&by_invoice[0]), pb::ChainState::Exhausted);
        env.retry.stop().await.expect("stop");
    }
}

/// Another organisation sees none of the chains (NOT_FOUND, empty lists), and its
/// events, even naming the same mandate, invoice or payment, touch only its own.
#[tokio::test]
async fn organisations_are_isolated() {
    for env in envs(monday()).await {
        let admin = Member::admin();
        let other = Member::admin();
        let payment = Uuid::now_v7();
        let event = rejected(admin.org, payment, "AM04", monday());
        env.reject(&event).await;

        let err = env.chain(other, payment).await.expect_err("hidden");
        assert_eq!(err.code(), Code::NotFound);
        let listed = env
            .attempts(other, pb::ListAttemptsRequest::default())
            .await
            .expect("list");
        assert!(listed.attempts.is_empty());
        let chains = env
            .client()
            .list_chains(env.req(other, pb::ListChainsRequest::default()))
            .await
            .expect("chains")
            .into_inner();
        assert!(chains.chains.is_empty());

        // The other organisation's revocation of the same mandate id, and its own
        // rejection of the same payment id, leave this organisation's chain alone.
        let revoked = ev::MandateRevoked {
            meta: Some(meta(other.org, Uuid::now_v7())),
            mandate_id: event.mandate_id.clone(),
            status: ev::MandateStatus::Revoked as i32,
            ..Default::default()
        };
        assert_eq!(
            env.deliver(Uuid::now_v7(), "mandate.revoked", other.org, &revoked)
                .await,
            Outcome::Applied
        );
        env.reject(&rejected(other.org, payment, "MD01", monday()))
            .await;
        let mine = env.chain(admin, payment).await.expect("mine");
        assert_eq!(state(&mine), pb::ChainState::Scheduled);
        let theirs = env.chain(other, payment).await.expect("theirs");
        assert_eq!(state(&theirs), pb::ChainState::Exhausted);
        assert_ne!(mine.id, theirs.id);

        // Sales agents see nothing, viewers read.
        let err = env
            .chain(admin.with(Role::Agent), payment)
            .await
            .expect_err("agent");
        assert_eq!(err.code(), Code::PermissionDenied);
        env.chain(admin.with(Role::Viewer), payment)
            .await
            .expect("viewer");
        env.retry.stop().await.expect("stop");
    }
}
