//! (tests for authz)
