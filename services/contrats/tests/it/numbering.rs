//! Contract numbers: per organisation and year, gapless, never reused, assigned in the
//! creating transaction from a counter row, and safe under concurrent creations.

use chrono::Datelike as _;
use crm_proto::contrats::v1 as pb;

use crate::support::{draft, envs, today};

fn prefix() -> String {
    format!("C-{}-", today().year())
}

/// Each organisation counts from 000001; a cancelled contract keeps its number and the
/// next one follows it.
#[tokio::test]
async fn numbers_follow_each_other_per_organisation() {
    for env in envs().await {
        let a = env.fixture().await;
        let b = env.fixture().await;
        let first = env.create(a.admin, draft(&a)).await.expect("create");
        assert_eq!(first.number, format!("{}000001", prefix()));
        env.api()
            .cancel_contract(env.req(
                a.admin,
                pb::CancelContractRequest {
                    contract_id: first.id.clone(),
                    ..Default::default()
                },
            ))
            .await
            .expect("cancel");
        let second = env.create(a.admin, draft(&a)).await.expect("create");
        assert_eq!(second.number, format!("{}000002", prefix()));
        let other = env.create(b.admin, draft(&b)).await.expect("create");
        assert_eq!(other.number, format!("{}000001", prefix()));
        // A refused creation takes no number.
        let mut bad = draft(&a);
        bad.billing_day = 0;
        assert!(env.create(a.admin, bad).await.is_err());
        let third = env.create(a.admin, draft(&a)).await.expect("create");
        assert_eq!(third.number, format!("{}000003", prefix()));
    }
}

/// Twenty creations at once in one organisation get twenty distinct, consecutive
/// numbers: 000001 to 000020 (on PostgreSQL each runs in its own transaction on its own
/// connection, serialised by the counter row).
#[tokio::test]
async fn concurrent_creations_get_consecutive_numbers() {
    for env in envs().await {
        let f = env.fixture().await;
        let calls = (0..20).map(|_| env.create(f.admin, draft(&f)));
        let created = futures::future::join_all(calls).await;
        let mut numbers: Vec<String> = created
            .into_iter()
            .map(|c| c.expect("create").number)
            .collect();
        numbers.sort();
        let expected: Vec<String> = (1..=20).map(|n| format!("{}{n:06}", prefix())).collect();
        assert_eq!(numbers, expected, "{:?}", env.backend);
    }
}
