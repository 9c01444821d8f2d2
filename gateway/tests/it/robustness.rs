//! Random input never panics the edge: it answers every request with a status, and
//! keeps serving.

use http::{Method, StatusCode};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::support::TestEdge;

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| serde_json::json!(f)),
        "[a-zA-Z0-9 :.+-]{0,12}".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        let keys = prop_oneof![
            Just("id".to_owned()),
            Just("i64".to_owned()),
            Just("at".to_owned()),
            Just("ttl".to_owned()),
            Just("inner".to_owned()),
            Just("tags".to_owned()),
            Just("counts".to_owned()),
            Just("attrs".to_owned()),
            Just("color".to_owned()),
            Just("data".to_owned()),
            Just("extra".to_owned()),
            Just("@type".to_owned()),
            Just("nick".to_owned()),
            Just("mask".to_owned()),
            Just("a".to_owned()),
            Just("b".to_owned()),
            "[a-z]{1,6}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(keys, inner, 0..5)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Random JSON bodies and random bytes get 200 or 400, never a 5xx or a dropped
/// connection.
#[test]
fn random_bodies_never_break_the_edge() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let edge = runtime.block_on(TestEdge::default());
    let mut runner = TestRunner::new(Config {
        cases: 150,
        ..Config::default()
    });
    let strategy = (
        json_value(),
        prop::collection::vec(any::<u8>(), 0..64),
        0usize..4,
    );
    runner
        .run(&strategy, |(value, noise, route)| {
            let (method, path) = [
                (Method::POST, "/v1/echo"),
                (Method::PATCH, "/v1/things/x"),
                (Method::PUT, "/v1/echo/x/tags"),
                (Method::POST, "/v1/things"),
            ][route]
                .clone();
            let json = value.to_string();
            for body in [json.into_bytes(), noise.clone()] {
                let answer = runtime.block_on(edge.send_bytes(
                    method.clone(),
                    path,
                    &[],
                    Some(bytes::Bytes::from(body.clone())),
                ));
                prop_assert!(
                    matches!(
                        answer.status,
                        StatusCode::OK | StatusCode::CREATED | StatusCode::BAD_REQUEST
                    ),
                    "{} for {}",
                    answer.status,
                    String::from_utf8_lossy(&body)
                );
            }
            Ok(())
        })
        .expect("no failure");
    // Still serving.
    let answer = runtime.block_on(edge.send(Method::GET, "/v1/echo/alive", &[], None));
    assert_eq!(answer.status, StatusCode::OK);
}

/// Random paths and query strings get a status, never a panic.
#[test]
fn random_paths_and_queries_get_a_status() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let edge = runtime.block_on(TestEdge::default());
    let mut runner = TestRunner::new(Config {
        cases: 150,
        ..Config::default()
    });
    let strategy = ("(/[a-z0-9%:.*]{0,8}){0,5}", "[a-zA-Z0-9=&.%_-]{0,30}");
    runner
        .run(&strategy, |(path, query)| {
            let uri = format!("/v1/echo{path}?{query}");
            let answer = runtime.block_on(edge.send(Method::GET, &uri, &[], None));
            prop_assert!(answer.status.as_u16() < 500, "{} for {uri}", answer.status);
            Ok(())
        })
        .expect("no failure");
}
