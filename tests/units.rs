//! (tests for units)
