//! The organisations service: tenants, memberships, roles, invitations
