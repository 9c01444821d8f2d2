//! End-to-end suites against live services and a gRPC load generator
