//! The integration tests: the real HTTP application against real SQLite and PostgreSQL.
//! One binary for all of them (each extra test binary costs link time).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod accounts;
mod activities;
mod api;
mod assistance;
mod audit;
mod authz;
mod browser;
mod cases;
mod cli;
mod clients;
mod coverage;
mod crash;
mod hotline;
mod knowledge;
mod lending;
mod ops;
mod outcomes;
mod outreach;
mod reports;
mod security;
mod units;
mod volunteers;
