//! Protobuf messages, tonic clients and servers, and the encoded descriptor set of every
//! CRM service, generated at build time from the workspace's `proto/` folder.
//!
//! Modules follow the protobuf packages: `crm_proto::clients::v1` is `crm.clients.v1`.

#![allow(missing_docs, clippy::all, clippy::pedantic, clippy::unwrap_used)]

/// Encoded `google.protobuf.FileDescriptorSet` of every CRM proto file and its imports,
/// for reflection and the JSON edge.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/crm_descriptor.bin"));

/// Shared messages: money, dates, addresses, roles.
pub mod common {
    /// Version 1.
    pub mod v1 {
        #[rustfmt::skip]
        include!(concat!(env!("OUT_DIR"), "/crm.common.v1.rs"));
    }
}

/// The users service.
pub mod users {
    /// Version 1.
    pub mod v1 {
        #[rustfmt::skip]
        include!(concat!(env!("OUT_DIR"), "/crm.users.v1.rs"));
    }
}

/// The organisations service.
pub mod organisations {
    /// Version 1.
    pub mod v1 {
        #[rustfmt::skip]
        include!(concat!(env!("OUT_DIR"), "/crm.organisations.v1.rs"));
    }
}

/// The clients service.
pub mod clients {
    /// Version 1.
    pub mod v1 {
        #[rustfmt::skip]
        include!(concat!(env!("OUT_DIR"), "/crm.clients.v1.rs"));
    }
}

/// The vendored `google.api` HTTP annotation types.
pub mod google {
    /// google.api
    pub mod api {
        #[rustfmt::skip]
        include!(concat!(env!("OUT_DIR"), "/google.api.rs"));
    }
}

#[cfg(test)]
mod tests {
    use prost_reflect::{DescriptorPool, Value};

    /// Every RPC keeps its google.api.http rule in the encoded descriptor set, which the
    /// JSON edge and the e2e mock mode read.
    #[test]
    fn http_rules_survive_encoding() {
        let pool = DescriptorPool::decode(super::FILE_DESCRIPTOR_SET).expect("descriptor set");
        let http = pool
            .get_extension_by_name("google.api.http")
            .expect("http extension");
        let mut methods = 0;
        for service in pool
            .services()
            .filter(|s| s.full_name().starts_with("crm."))
        {
            for method in service.methods() {
                let options = method.options();
                assert!(
                    options.has_extension(&http),
                    "{} has no http rule",
                    method.full_name()
                );
                let rule = options.get_extension(&http);
                assert!(matches!(rule.as_ref(), Value::Message(_)));
                methods += 1;
            }
        }
        assert!(methods >= 30, "{methods}");
    }
}
