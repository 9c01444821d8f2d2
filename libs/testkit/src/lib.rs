//! Test helpers: services in-process on ephemeral ports, tokens, fixtures
