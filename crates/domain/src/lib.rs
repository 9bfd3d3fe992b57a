//! Domain types, rules and ports of shegong. No web framework and no database here:
//! everything in this crate can be unit-tested in isolation.

pub mod accounts;
pub mod activities;
pub mod assistance;
pub mod audit;
pub mod cases;
pub mod clients;
pub mod clock;
pub mod coverage;
pub mod donations;
pub mod error;
pub mod hotline;
pub mod ids;
pub mod knowledge;
pub mod lending;
pub mod locale;
pub mod outcomes;
pub mod outreach;
pub mod ports;
pub mod reports;
pub mod units;
pub mod volunteers;

pub use error::{DomainError, FieldError, Result};
