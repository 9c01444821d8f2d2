//! The clients service: people and companies a tenant sells to
