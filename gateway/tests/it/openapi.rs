//! The OpenAPI document: every binding is an operation with its parameters, bodies,
//! answers and security, schemas from the messages, comments as descriptions.

use http::{Method, StatusCode};

use crate::support::TestEdge;

#[tokio::test]
async fn the_document_covers_every_route() {
    let edge = TestEdge::default().await;
    let answer = edge
        .send(Method::GET, "/openapi.json", &[("authorization", "")], None)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let doc = answer.json();
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = 0;
    for binding in edge.edge.routes().bindings() {
        if binding.method.as_str() == "SEARCH" {
            // A custom method has no place in OpenAPI.
            continue;
        }
        let path = binding.template.openapi_path();
        let method = binding.method.as_str().to_ascii_lowercase();
        assert!(
            paths[&path].get(&method).is_some(),
            "{method} {path} missing"
        );
        operations += 1;
    }
    let counted: usize = paths
        .values()
        .map(|p| p.as_object().map_or(0, |o| o.len()))
        .sum();
    assert_eq!(counted, operations);

    let get = &paths["/v1/things/{thing_id}"]["get"];
    assert_eq!(get["operationId"], "EchoService_GetThing");
    assert_eq!(get["summary"], "Answers what the service received.");
    let params: Vec<(&str, &str)> = get["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or(""),
                p["in"].as_str().unwrap_or(""),
            )
        })
        .collect();
    for expected in [
        ("thing_id", "path"),
        ("filter.city", "query"),
        ("filter.deep.level", "query"),
        ("sizes", "query"),
        ("color", "query"),
        ("since", "query"),
        ("Grpc-Timeout", "header"),
    ] {
        assert!(params.contains(&expected), "{expected:?} not in {params:?}");
    }
    assert!(
        !params.iter().any(|(n, _)| *n == "thingId"),
        "the path field is not a query parameter"
    );

    let create = &paths["/v1/things"]["post"];
    assert!(create["responses"].get("201").is_some());
    assert_eq!(
        create["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/crm.edgetest.v1.Thing"
    );
    assert!(
        create["parameters"]
            .as_array()
            .expect("params")
            .iter()
            .any(|p| p["name"] == "Idempotency-Key")
    );

    let stream = &paths["/v1/things:stream"]["get"]["responses"]["200"]["content"];
    assert!(
        stream.get("text/event-stream").is_some() && stream.get("application/x-ndjson").is_some()
    );
    let upload = &paths["/v1/files:upload"]["post"]["requestBody"]["content"];
    assert_eq!(
        upload["multipart/form-data"]["schema"]["properties"]["file"]["format"],
        "binary"
    );

    let schemas = &doc["components"]["schemas"];
    let thing = &schemas["crm.edgetest.v1.Thing"];
    assert_eq!(thing["description"], "Every kind of field.");
    assert_eq!(thing["properties"]["i64"]["type"], "string");
    assert_eq!(thing["properties"]["at"]["format"], "date-time");
    assert_eq!(
        thing["properties"]["zipCode"],
        serde_json::Value::Null,
        "inner fields are elsewhere"
    );
    assert_eq!(schemas["crm.edgetest.v1.Color"]["enum"][1], "COLOR_RED");
    assert!(schemas.get("google.rpc.Status").is_some());

    // Public RPCs need no token; the others use bearer auth.
    assert_eq!(
        paths["/v1/auth:login"]["post"]["security"],
        serde_json::json!([])
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );
}

#[tokio::test]
async fn the_docs_page_is_served_without_a_cdn() {
    let edge = TestEdge::default().await;
    let answer = edge
        .send(Method::GET, "/docs", &[("authorization", "")], None)
        .await;
    assert_eq!(answer.status, StatusCode::PERMANENT_REDIRECT);
    let answer = edge
        .send(Method::GET, "/docs/", &[("authorization", "")], None)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let page = answer.text();
    assert!(page.contains("swagger-ui"), "{page}");
    assert!(
        !page.contains("https://"),
        "the page loads nothing from elsewhere"
    );
    let answer = edge
        .send(
            Method::GET,
            "/docs/swagger-initializer.js",
            &[("authorization", "")],
            None,
        )
        .await;
    assert!(answer.text().contains("/openapi.json"));
}
