//! # store — the governance store
//!
//! One set of repositories over sqlx's `Any` driver, so the same SQL runs on SQLite (the embedded
//! default: one file, WAL) and PostgreSQL (a city's central server). The SQL is kept portable:
//! `$n` placeholders, `RETURNING`, integers as `BIGINT`, instants as UTC milliseconds, booleans as
//! 0/1, lists as JSON text. The schema is written once for SQLite; the PostgreSQL migration is
//! derived from it ([`schema`]).
//!
//! Every function takes the instant it acts at from the caller, so the server's clock (and the
//! tests' clock) is the only clock.

pub mod accounts;
pub mod audit_store;
pub mod emergency;
pub mod evidence;
pub mod holds;
pub mod lifecycle;
pub mod registry;
pub mod schema;
pub mod workflow;

use jiff::Timestamp;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};
use std::time::Duration;

/// Which database the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// A store error.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule or a concurrent change refused the write.
    #[error("conflict: {0}")]
    Conflict(String),
    /// No such record.
    #[error("not found: {0}")]
    NotFound(String),
    /// A stored value cannot be interpreted.
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Maps a unique-constraint violation to [`StoreError::Conflict`].
    pub fn from_write(e: sqlx::Error, what: &str) -> Self {
        match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::Conflict(format!("{what} already exists"))
            }
            _ => StoreError::Db(e),
        }
    }
}

/// Result alias.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A guarded state change (`UPDATE … WHERE <still in the right state>`) that touched no row was
/// refused by that guard: a [`StoreError::Conflict`] with `why`.
pub(crate) fn changed_one(
    r: &sqlx::any::AnyQueryResult,
    why: impl FnOnce() -> String,
) -> Result<()> {
    if r.rows_affected() == 0 {
        return Err(StoreError::Conflict(why()));
    }
    Ok(())
}

/// The store: a connection pool and the backend it talks to.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

impl Db {
    /// Connects to `url` and runs the migrations. `url` is `postgres://…`, `sqlite://PATH`, or a
    /// plain file path (SQLite, created if missing).
    pub async fn connect(url: &str) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let (url, backend) = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (url.to_owned(), Backend::Postgres)
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or(url);
            (format!("sqlite://{path}?mode=rwc"), Backend::Sqlite)
        };
        let mut opts = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(30));
        if backend == Backend::Sqlite {
            // One writer at a time in SQLite; a small pool avoids lock churn, busy_timeout waits.
            opts = opts.max_connections(4).after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = FULL").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA busy_timeout = 10000").await?;
                    conn.execute("PRAGMA secure_delete = ON").await?;
                    Ok(())
                })
            });
        } else {
            opts = opts.max_connections(16);
        }
        let pool = opts.connect(&url).await?;
        let db = Db { pool, backend };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite").run(&self.pool).await?,
            Backend::Postgres => sqlx::migrate!("migrations/postgres").run(&self.pool).await?,
        }
        Ok(())
    }

    /// The pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool (waits for connections to return).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Takes the next number of the counter `name` (starting at 1), atomically: no two callers
    /// ever get the same number, however many run at once.
    pub async fn next_number(&self, name: &str) -> Result<i64> {
        sqlx::query(
            "INSERT INTO counters (name, next) VALUES ($1, 1) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .execute(&self.pool)
        .await?;
        let n: i64 = sqlx::query_scalar(
            "UPDATE counters SET next = next + 1 WHERE name = $1 RETURNING next - 1",
        )
        .bind(name)
        .fetch_one(&self.pool)
        .await?;
        Ok(n)
    }
}

/// UTC milliseconds of an instant.
pub fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

/// The instant of stored UTC milliseconds.
pub fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Encodes a list as JSON text.
pub fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

/// Decodes JSON text stored by [`json_list`].
pub fn parse_list(text: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("list {text:?}: {e}")))
}
