//! Integration tests of the JSON edge against an in-process echo service.

mod errors;
mod grpc;
mod headers;
mod openapi;
mod robustness;
mod streaming;
mod support;
mod transcoding;
