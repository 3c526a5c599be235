//! The server crate's integration tests, built as one binary: each file beside this one is a
//! module (`cargo test -p server --test integration <file>::` runs one file's tests). A binary per
//! file linked the whole crate and its dependencies once per file — gigabytes of a CI machine's
//! disk for no gain (see docs/testing.md).

mod accounts_and_records;
mod atomic_audit;
mod audit_search;
mod audit_witness;
mod authz_matrix;
mod bad_input;
mod boundaries;
mod clocks;
mod common;
mod concurrency;
mod directory;
mod dropped_clients;
mod duties;
mod emergency;
mod evidence_flow;
mod fuzz_http;
mod idempotent;
mod lifecycle;
mod limits;
mod lists;
mod messages;
mod seams;
mod seed_clauses;
mod several_centres;
mod upgrade;
mod viewing;
mod workflows;
