//! The policy crate's integration tests, built as one binary: each file beside this one is a
//! module (`cargo test -p policy --test integration <file>::` runs one file's tests). A binary per
//! file linked the whole crate and its dependencies once per file — gigabytes of a CI machine's
//! disk for no gain (see docs/testing.md).

mod calendar;
mod holidays_reference;
mod ident;
mod profiles;
mod retention;
mod workflow;
