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
