//! Table-driven transcoding: templates, query parameters, bodies, every well-known
//! type both ways, PATCH masks, 201 on create, idempotency keys.

use http::{Method, StatusCode};
use serde_json::json;

use crate::support::TestEdge;

/// Each case: method, path, body, expected status, and the JSON the echo answers
/// (checked field by field: each expected key must be present with that value).
#[tokio::test]
async fn requests_become_messages_and_answers_become_json() {
    let edge = TestEdge::default().await;
    let cases: Vec<(Method, &str, Option<&str>, StatusCode, serde_json::Value)> = vec![
        // Path variables, including one with slashes from {name=shelves/*/books/**}.
        (
            Method::GET,
            "/v1/echo/abc",
            None,
            StatusCode::OK,
            json!({"id": "abc"}),
        ),
        (
            Method::GET,
            "/v1/echo/a%20b",
            None,
            StatusCode::OK,
            json!({"id": "a b"}),
        ),
        (
            Method::GET,
            "/v1/shelves/s1/books/b/2",
            None,
            StatusCode::OK,
            json!({"name": "shelves/s1/books/b/2"}),
        ),
        // Custom verb and body "*": the path wins over the body.
        (
            Method::POST,
            "/v1/echo/p1:shout",
            Some(r#"{"id":"body","name":"n"}"#),
            StatusCode::OK,
            json!({"id": "p1", "name": "n"}),
        ),
        // Custom HTTP method.
        (
            Method::from_bytes(b"SEARCH").expect("method"),
            "/v1/echo?name=x",
            None,
            StatusCode::OK,
            json!({"name": "x"}),
        ),
        // Query parameters: scalars, nested, repeated, enums by name and number, WKTs.
        (
            Method::GET,
            "/v1/echo/q?i32=-5&i64=9007199254740993&u64=18446744073709551615&dbl=1.5&flag=true",
            None,
            StatusCode::OK,
            json!({"i32": -5, "i64": "9007199254740993", "u64": "18446744073709551615", "dbl": 1.5, "flag": true}),
        ),
        (
            Method::GET,
            "/v1/echo/q?inner.city=Lyon&inner.zipCode=69001&inner.deep.level=3",
            None,
            StatusCode::OK,
            json!({"inner": {"city": "Lyon", "zipCode": "69001", "deep": {"level": 3}}}),
        ),
        (
            Method::GET,
            "/v1/echo/q?tags=a&tags=b&nums=1&nums=2",
            None,
            StatusCode::OK,
            json!({"tags": ["a", "b"], "nums": ["1", "2"]}),
        ),
        (
            Method::GET,
            "/v1/echo/q?color=COLOR_BLUE",
            None,
            StatusCode::OK,
            json!({"color": "COLOR_BLUE"}),
        ),
        (
            Method::GET,
            "/v1/echo/q?color=1",
            None,
            StatusCode::OK,
            json!({"color": "COLOR_RED"}),
        ),
        (
            Method::GET,
            "/v1/echo/q?at=2026-01-02T03:04:05.5Z&ttl=1.5s&mask=inner.city,tags&nick=bob&big=12&enabled=false",
            None,
            StatusCode::OK,
            json!({"at": "2026-01-02T03:04:05.500Z", "ttl": "1.500s", "mask": "inner.city,tags", "nick": "bob", "big": "12", "enabled": false}),
        ),
        (
            Method::GET,
            "/v1/echo/q?zip_code=1",
            None,
            StatusCode::BAD_REQUEST,
            json!({"code": 3}),
        ),
        (
            Method::GET,
            "/v1/echo/q?data=aGVsbG8",
            None,
            StatusCode::OK,
            json!({"data": "aGVsbG8="}),
        ),
        (
            Method::GET,
            "/v1/echo/q?a=one",
            None,
            StatusCode::OK,
            json!({"a": "one"}),
        ),
        (
            Method::GET,
            "/v1/echo/q?maybe=",
            None,
            StatusCode::OK,
            json!({"maybe": ""}),
        ),
        // Proto names are accepted in query parameters too.
        (
            Method::GET,
            "/v1/echo/q?request_id=r1",
            None,
            StatusCode::OK,
            json!({"requestId": "r1"}),
        ),
        // Bodies: every well-known type in, canonical JSON out.
        (
            Method::POST,
            "/v1/echo",
            Some(
                r#"{
            "id": "w", "i64": 42, "u64": "7", "at": "2026-03-04T05:06:07+01:00", "ttl": "-2s",
            "mask": "a.b,cD", "nick": "x", "big": "-9", "attrs": {"k": [1, "two", null, true]},
            "anything": {"deep": {"x": 1}}, "counts": {"a": 1}, "enabled": true, "list": [1, "a"],
            "extra": {"@type": "type.googleapis.com/google.protobuf.Duration", "value": "3s"},
            "data": "AAEC", "b": 7, "color": "COLOR_RED"}"#,
            ),
            StatusCode::OK,
            json!({"id": "w", "i64": "42", "u64": "7", "at": "2026-03-04T04:06:07Z", "ttl": "-2s",
                   "mask": "a.b,cD", "nick": "x", "big": "-9", "attrs": {"k": [1.0, "two", null, true]},
                   "anything": {"deep": {"x": 1.0}}, "counts": {"a": 1}, "enabled": true, "list": [1.0, "a"],
                   "extra": {"@type": "type.googleapis.com/google.protobuf.Duration", "value": "3s"},
                   "data": "AAEC", "b": 7, "color": "COLOR_RED"}),
        ),
        // The remaining wrappers and Empty, both ways; wrappers also from the query.
        (
            Method::POST,
            "/v1/echo",
            Some(
                r#"{"wDouble": 2.5, "wFloat": 0.5, "wUint64": "18446744073709551615",
            "wInt32": -3, "wUint32": 4000000000, "wBytes": "AQI=", "nothing": {}}"#,
            ),
            StatusCode::OK,
            json!({"wDouble": 2.5, "wFloat": 0.5, "wUint64": "18446744073709551615", "wInt32": -3,
                   "wUint32": 4000000000u64, "wBytes": "AQI=", "nothing": {}}),
        ),
        (
            Method::GET,
            "/v1/echo/q?wDouble=1.25&wInt32=7&wUint64=9&wBytes=AQI",
            None,
            StatusCode::OK,
            json!({"wDouble": 1.25, "wInt32": 7, "wUint64": "9", "wBytes": "AQI="}),
        ),
        // Proto names in bodies.
        (
            Method::POST,
            "/v1/echo",
            Some(r#"{"request_id":"x","inner":{"zip_code":"1"}}"#),
            StatusCode::OK,
            json!({"requestId": "x", "inner": {"city": "", "zipCode": "1"}}),
        ),
        // An empty body is the empty message.
        (
            Method::POST,
            "/v1/echo",
            Some(""),
            StatusCode::OK,
            json!({"id": ""}),
        ),
        // body: "tags" — a repeated field as the body.
        (
            Method::PUT,
            "/v1/echo/t/tags",
            Some(r#"["x","y"]"#),
            StatusCode::OK,
            json!({"id": "t", "tags": ["x", "y"]}),
        ),
        // response_body: only that field is the answer.
        (
            Method::GET,
            "/v1/echo/r/inner?inner.city=Nice",
            None,
            StatusCode::OK,
            json!({"city": "Nice", "zipCode": ""}),
        ),
    ];
    for (method, path, body, status, expected) in cases {
        let answer = edge.send(method.clone(), path, &[], body).await;
        assert_eq!(answer.status, status, "{method} {path}: {}", answer.text());
        let got = answer.json();
        for (key, value) in expected.as_object().expect("object") {
            assert_eq!(&got[key], value, "{method} {path}: field {key} in {got}");
        }
    }
}

/// Unpopulated fields: scalars, lists and maps always appear; messages, optional and
/// oneof fields only when set.
#[tokio::test]
async fn unpopulated_fields_follow_the_documented_choice() {
    let edge = TestEdge::default().await;
    let answer = edge.send(Method::POST, "/v1/echo", &[], Some("{}")).await;
    assert_eq!(answer.status, StatusCode::OK);
    let got = answer.json();
    for (key, value) in [
        ("id", json!("")),
        ("i32", json!(0)),
        ("i64", json!("0")),
        ("flag", json!(false)),
        ("color", json!("COLOR_UNSPECIFIED")),
        ("tags", json!([])),
        ("counts", json!({})),
        ("data", json!("")),
    ] {
        assert_eq!(got[key], value, "{key} in {got}");
    }
    for absent in ["inner", "at", "nick", "maybe", "a", "b", "attrs"] {
        assert!(got.get(absent).is_none(), "{absent} in {got}");
    }
}

/// A Create method answers 201; the Idempotency-Key header becomes request_id, and the
/// body field plus path and query reach the service.
#[tokio::test]
async fn create_answers_201_with_the_idempotency_key_as_request_id() {
    let edge = TestEdge::default().await;
    let answer = edge
        .send(
            Method::POST,
            "/v1/things",
            &[("idempotency-key", "key-1")],
            Some(r#"{"id":"n1","name":"first"}"#),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let (request, _) = edge.received(&answer, "crm.edgetest.v1.CreateThingRequest");
    assert_eq!(request["requestId"], "key-1");
    assert_eq!(request["thing"]["name"], "first");

    // A request_id in the request wins over the header? Here it comes from the query.
    let answer = edge
        .send(
            Method::POST,
            "/v1/things?requestId=q1",
            &[("idempotency-key", "key-2")],
            Some("{}"),
        )
        .await;
    let (request, _) = edge.received(&answer, "crm.edgetest.v1.CreateThingRequest");
    assert_eq!(request["requestId"], "q1");
}

/// PATCH fills update_mask from the body's keys (nested plain messages by path, maps,
/// lists and well-known types as leaves; the path-bound id left out) unless the client
/// sent one.
#[tokio::test]
async fn patch_fills_the_update_mask_from_the_body() {
    let edge = TestEdge::default().await;
    let answer = edge
        .send(
            Method::PATCH,
            "/v1/things/t1",
            &[],
            Some(r#"{"id":"t1","name":"n","inner":{"city":"Paris","deep":{"level":2}},"tags":["a"],"at":"2026-01-01T00:00:00Z","counts":{"x":1}}"#),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let got = answer.json();
    assert_eq!(got["thing"]["id"], "t1");
    let mut mask: Vec<&str> = got["updateMask"]
        .as_str()
        .expect("mask")
        .split(',')
        .collect();
    mask.sort_unstable();
    assert_eq!(
        mask,
        [
            "at",
            "counts",
            "inner.city",
            "inner.deep.level",
            "name",
            "tags"
        ]
    );

    let answer = edge
        .send(
            Method::PATCH,
            "/v1/things/t1?updateMask=name",
            &[],
            Some(r#"{"name":"n","nick":"x"}"#),
        )
        .await;
    assert_eq!(answer.json()["updateMask"], "name");
}

/// Path, query and body problems: unknown parameters, wrong types (naming the field),
/// malformed JSON (with the position), every violation at once.
#[tokio::test]
async fn bad_requests_name_every_field() {
    let edge = TestEdge::default().await;
    let answer = edge
        .send(
            Method::GET,
            "/v1/echo/q?nope=1&i32=x&inner.nope=2&i32=3",
            &[],
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let body = answer.json();
    assert_eq!(body["code"], 3);
    let violations = body["details"][0]["fieldViolations"]
        .as_array()
        .expect("violations")
        .clone();
    assert_eq!(
        body["details"][0]["@type"],
        "type.googleapis.com/google.rpc.BadRequest"
    );
    let fields: Vec<&str> = violations
        .iter()
        .filter_map(|v| v["field"].as_str())
        .collect();
    assert_eq!(fields, ["nope", "i32", "inner.nope", "i32"], "{body}");

    // A parameter may not set what the path binds, nor appear on a body "*" route.
    let answer = edge
        .send(Method::GET, "/v1/echo/q?id=other", &[], None)
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let answer = edge
        .send(Method::POST, "/v1/echo?name=x", &[], Some("{}"))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);

    let answer = edge
        .send(Method::POST, "/v1/echo", &[], Some(r#"{"id": "x",}"#))
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let message = answer.json()["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(message.contains("line 1 column"), "{message}");

    let answer = edge
        .send(
            Method::POST,
            "/v1/echo",
            &[],
            Some(r#"{"inner": {"deep": {"level": "high"}}}"#),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let body = answer.json();
    assert_eq!(
        body["details"][0]["fieldViolations"][0]["field"], "inner.deep.level",
        "{body}"
    );

    let answer = edge
        .send(
            Method::POST,
            "/v1/echo",
            &[],
            Some(r#"{"unknownField": 1}"#),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.text().contains("unknownField"), "{}", answer.text());

    // Any declared type is read as JSON, as grpc-gateway does (curl -d sends a form
    // type); a multipart form is only for upload routes.
    let answer = edge
        .send(
            Method::POST,
            "/v1/echo",
            &[("content-type", "application/x-www-form-urlencoded")],
            Some("{}"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let answer = edge
        .send(
            Method::POST,
            "/v1/echo",
            &[("content-type", "multipart/form-data; boundary=x")],
            Some("{}"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let answer = edge.send(Method::GET, "/v1/echo/q", &[], Some("{}")).await;
    assert_eq!(
        answer.status,
        StatusCode::BAD_REQUEST,
        "a GET route takes no body"
    );
}

/// Unknown paths are 404; a known path with another method is 405 with Allow.
#[tokio::test]
async fn unknown_paths_and_methods() {
    let edge = TestEdge::default().await;
    let answer = edge.send(Method::GET, "/v1/nothing/here", &[], None).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.json()["code"], 5);
    let answer = edge.send(Method::DELETE, "/v1/echo/x", &[], None).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.headers["allow"], "GET");
}
