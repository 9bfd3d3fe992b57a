//! Client export (being written).
