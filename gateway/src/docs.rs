//! `/openapi.json` and the docs page at `/docs`: Swagger UI, served from files built
//! into the binary (no CDN), reading the edge's own document.

use std::sync::{Arc, LazyLock};

use axum::body::Body;
use axum::extract::Path;
use http::{HeaderValue, Response, StatusCode, header};
use utoipa_swagger_ui::Config;

static CONFIG: LazyLock<Arc<Config<'static>>> = LazyLock::new(|| {
    Arc::new(
        Config::new(["/openapi.json"])
            .try_it_out_enabled(true)
            .persist_authorization(true)
            .display_request_duration(true),
    )
});

/// Serves a file of the docs page; `tail` is its path below `/docs/`.
pub fn file(tail: &str) -> Response<Body> {
    match utoipa_swagger_ui::serve(tail, CONFIG.clone()) {
        Ok(Some(file)) => {
            let mut response = Response::new(Body::from(file.bytes.into_owned()));
            if let Ok(ct) = HeaderValue::from_str(&file.content_type) {
                response.headers_mut().insert(header::CONTENT_TYPE, ct);
            }
            if file.gzpipped {
                response
                    .headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            response
        }
        Ok(None) => plain(StatusCode::NOT_FOUND, "no such file"),
        Err(error) => {
            tracing::error!(%error, "cannot serve the docs page");
            plain(
                StatusCode::INTERNAL_SERVER_ERROR,
                "cannot serve the docs page",
            )
        }
    }
}

/// `GET /docs/{*tail}`.
pub async fn page(Path(tail): Path<String>) -> Response<Body> {
    file(&tail)
}

/// `GET /docs/`.
pub async fn index() -> Response<Body> {
    file("")
}

/// `GET /docs`: the page's relative links need the trailing slash.
pub async fn redirect() -> Response<Body> {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::PERMANENT_REDIRECT;
    response
        .headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static("/docs/"));
    response
}

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::from(text));
    *response.status_mut() = status;
    response
}
