//! Test fixtures: a fresh database on each backend the governance store supports.
//!
//! PostgreSQL: `scripts/test` starts a throwaway cluster and exports its URL in
//! `MIMAMORI_TEST_PG`; each call to [`pg_database`] creates a new empty database on it. Without
//! the variable the tests fail with instructions — they never silently skip PostgreSQL.

use std::path::Path;

/// A backend to run a test against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on the test PostgreSQL cluster.
    Postgres,
}

/// Both backends, for tests that must pass on each.
pub const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// A database URL for `backend`; SQLite files go under `dir`.
pub async fn database_url(backend: Backend, dir: &Path) -> String {
    match backend {
        Backend::Sqlite => dir.join("mimamori.db").display().to_string(),
        Backend::Postgres => pg_database().await,
    }
}

/// Creates an empty database on the test cluster and returns its URL.
///
/// # Panics
/// When `MIMAMORI_TEST_PG` is unset or the server is unreachable: run `./scripts/test`.
pub async fn pg_database() -> String {
    let base = std::env::var("MIMAMORI_TEST_PG").unwrap_or_else(|_| {
        panic!(
            "MIMAMORI_TEST_PG is not set: these tests run on PostgreSQL as well as SQLite. \
             Run ./scripts/test, which starts a throwaway cluster, or point MIMAMORI_TEST_PG at a server \
             (postgres://user@host:port/postgres) where the user may CREATE DATABASE."
        )
    });
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).expect("randomness");
    let name = format!("t_{}", hex::encode(b));
    store::create_pg_database(&base, &name)
        .await
        .unwrap_or_else(|e| panic!("cannot create a database on {base}: {e}"))
}
