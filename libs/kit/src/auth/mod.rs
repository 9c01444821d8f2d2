//! Authentication and authorisation: access tokens issued by the users service, internal
//! tokens signed with the mesh key, the request context handlers read, and the
//! per-service permission tables.

pub mod context;
pub mod keys;
pub mod layer;
pub mod mesh;
pub mod permissions;
pub mod tokens;

pub use context::{Principal, RequestContext, Role, context};
pub use keys::{JwksSource, KeySet};
pub use layer::{AuthLayer, Authenticator};
pub use mesh::MeshKey;
pub use tokens::{AccessClaims, TokenSigner};

/// Header naming the calling service on internal calls.
pub const INTERNAL_SERVICE_HEADER: &str = "x-internal-service";
/// Header carrying the internal token signed with the mesh key.
pub const INTERNAL_TOKEN_HEADER: &str = "x-internal-token";
