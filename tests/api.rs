//! (tests for api)
