//! (tests for ops)
