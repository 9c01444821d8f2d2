//! Server streams as NDJSON and SSE, errors mid-stream as a final event; client streams
//! from NDJSON and multipart uploads.

use bytes::Bytes;
use http::{Method, StatusCode};

use crate::support::TestEdge;

#[tokio::test]
async fn server_streams_as_ndjson_with_a_final_error() {
    let edge = TestEdge::default().await;
    let answer = edge
        .send(Method::GET, "/v1/things:stream?count=3", &[], None)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["content-type"], "application/x-ndjson");
    let lines: Vec<serde_json::Value> = answer
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["result"]["id"], "t2");
    assert_eq!(lines[2]["result"]["i64"], "2");

    let answer = edge
        .send(
            Method::GET,
            "/v1/things:stream?count=2&failCode=14",
            &[],
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "the stream had begun");
    let lines: Vec<serde_json::Value> = answer
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["error"]["code"], 14);
    assert_eq!(lines[2]["error"]["message"], "stream broke");
}

#[tokio::test]
async fn server_streams_as_server_sent_events() {
    let edge = TestEdge::default().await;
    let answer = edge
        .send(
            Method::GET,
            "/v1/things:stream?count=2&failCode=13",
            &[("accept", "text/event-stream")],
            None,
        )
        .await;
    assert_eq!(answer.headers["content-type"], "text/event-stream");
    let text = answer.text();
    let events: Vec<&str> = text.split("\n\n").filter(|e| !e.is_empty()).collect();
    assert_eq!(events.len(), 3, "{text}");
    assert!(events[0].starts_with("data: {"), "{text}");
    assert!(events[2].starts_with("event: error\ndata: {"), "{text}");
    assert!(events[2].contains("\"code\":13"), "{text}");
}

/// A stream that fails before its first message answers with the error's status.
#[tokio::test]
async fn a_stream_failing_at_once_is_an_error_answer() {
    let edge = TestEdge::default().await;
    let answer = edge
        .send(Method::GET, "/v1/things:stream?count=-1", &[], None)
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["code"], 3);
    let answer = edge
        .send(
            Method::GET,
            "/v1/things:stream?count=0&failCode=5",
            &[],
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn client_streams_take_ndjson() {
    let edge = TestEdge::default().await;
    let answer = edge
        .send(
            Method::POST,
            "/v1/things:sum",
            &[("content-type", "application/x-ndjson")],
            Some("{\"i64\": \"1\"}\n{\"i64\": 2}\n\n{\"i64\": \"39\"}\n"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.json()["i64"], "42");

    let answer = edge
        .send(
            Method::POST,
            "/v1/things:sum",
            &[("content-type", "application/x-ndjson")],
            Some("{\"i64\": 1}\n{\"nope\": 2}\n"),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.json()["details"][0]["fieldViolations"][0]["field"],
        "[1]"
    );
}

/// A form part: name, (file name, content type) for a file, content.
type Part<'a> = (&'a str, Option<(&'a str, &'a str)>, &'a [u8]);

fn form(boundary: &str, parts: &[Part<'_>]) -> Bytes {
    let mut body = Vec::new();
    for (name, file, content) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some((filename, ct)) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: {ct}\r\n\r\n"
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Bytes::from(body)
}

/// A multipart form becomes the metadata message, then 64 KiB chunks.
#[tokio::test]
async fn multipart_uploads_map_onto_the_upload_rpc() {
    let edge = TestEdge::default().await;
    let file: Vec<u8> = (0..150_000u32).map(|i| (i % 251) as u8).collect();
    let body = form(
        "XyZ",
        &[
            ("folder", None, b"contracts"),
            ("version", None, b"3"),
            ("file", Some(("scan.pdf", "application/pdf")), &file),
        ],
    );
    let answer = edge
        .send_bytes(
            Method::POST,
            "/v1/files:upload",
            &[("content-type", "multipart/form-data; boundary=XyZ")],
            Some(body),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let got = answer.json();
    assert_eq!(got["size"], "150000");
    assert_eq!(got["chunks"], 3);
    assert_eq!(got["metadataFirst"], true);
    assert_eq!(got["meta"]["folder"], "contracts");
    assert_eq!(got["meta"]["version"], 3);
    assert_eq!(got["meta"]["filename"], "scan.pdf");
    assert_eq!(got["meta"]["contentType"], "application/pdf");

    // A bad field is refused before anything is sent, with every violation.
    let body = form(
        "b",
        &[
            ("nope", None, b"1"),
            ("version", None, b"x"),
            ("file", Some(("a.txt", "text/plain")), b"hello"),
        ],
    );
    let answer = edge
        .send_bytes(
            Method::POST,
            "/v1/files:upload",
            &[("content-type", "multipart/form-data; boundary=b")],
            Some(body),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let fields: Vec<String> = answer.json()["details"][0]["fieldViolations"]
        .as_array()
        .expect("violations")
        .iter()
        .map(|v| v["field"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(fields, ["nope", "version"]);

    // A form cut off mid-file is refused; the service never sees a complete upload.
    let mut cut = form(
        "c",
        &[("file", Some(("a.bin", "application/octet-stream")), &file)],
    )
    .to_vec();
    cut.truncate(100_000);
    let answer = edge
        .send_bytes(
            Method::POST,
            "/v1/files:upload",
            &[("content-type", "multipart/form-data; boundary=c")],
            Some(Bytes::from(cut)),
        )
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text());
}

/// Uploads have their own limit: 413 above it.
#[tokio::test]
async fn uploads_over_the_limit_are_413() {
    let mut config = crm_gateway::GatewayConfig::default();
    config.rate_limits.per_ip_per_second = 0;
    config.body_limit_bytes = 1024;
    config.upload_limit_bytes = 64 * 1024;
    let edge = TestEdge::start(config).await;
    let file = vec![7u8; 100 * 1024];
    let body = form(
        "L",
        &[("file", Some(("big.bin", "application/octet-stream")), &file)],
    );
    let answer = edge
        .send_bytes(
            Method::POST,
            "/v1/files:upload",
            &[("content-type", "multipart/form-data; boundary=L")],
            Some(body),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.text()
    );
}
