//! (tests for browser)
