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
mod at;
pub mod audit_store;
pub mod audit_writer;
pub mod camera_store;
pub mod duties;
pub mod emergency;
pub mod evidence;
pub mod fleet;
pub mod holds;
pub mod idempotency;
pub mod lifecycle;
pub mod registry;
pub mod reports;
pub mod room;
pub mod schema;
pub mod workflow;

pub use at::At;

use jiff::Timestamp;
use sqlx::any::AnyPoolOptions;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Executor, Transaction};
use std::sync::Arc;
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
    Conflict(Conflict),
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
    /// The database was written by a newer release: its schema has migrations this binary
    /// does not know, and running on it could lose or misread what the newer one stored.
    #[error(
        "the database's schema is newer than this mimamori knows (it has migration {found}, this release knows up to {known}): run the release that wrote it, or restore a backup made by this one"
    )]
    NewerSchema {
        /// The newest migration the database has.
        found: i64,
        /// The newest migration this binary has.
        known: i64,
    },
}

/// Why the records refused a write: a stable key for the message catalogue (`exists_camera`,
/// `record_changed`…) and the English words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The message key: `exists_<subject>` for a duplicate, `record_changed` for a record that
    /// changed under the caller, or a key of its own.
    pub key: &'static str,
    /// What it says, in English.
    pub text: String,
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl StoreError {
    /// A conflict with the records, keyed.
    pub fn conflict(key: &'static str, text: impl Into<String>) -> Self {
        StoreError::Conflict(Conflict { key, text: text.into() })
    }

    /// A record that changed (or went) under the caller: someone else acted first.
    pub fn changed(text: impl Into<String>) -> Self {
        StoreError::conflict("record_changed", text)
    }

    /// Maps a unique-constraint violation to [`StoreError::Conflict`] with `key`
    /// (`exists_<subject>`); `what` names the duplicate in English.
    pub fn from_write(e: sqlx::Error, key: &'static str, what: &str) -> Self {
        match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::conflict(key, format!("{what} already exists"))
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
        return Err(StoreError::changed(why()));
    }
    Ok(())
}

/// The store: a connection pool and the backend it talks to — or, for a [`Db::begin_change`]
/// handle, one open transaction that every repository method of the handle runs in.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// The transaction of a change handle (`None` once committed or rolled back).
    tx: Option<Arc<tokio::sync::Mutex<Option<Transaction<'static, Any>>>>>,
}

/// A connection for one statement: from the pool, or the handle's transaction.
pub(crate) enum Conn<'a> {
    /// A pooled connection (autocommit).
    Pool(PoolConnection<Any>),
    /// The change handle's transaction.
    Tx(tokio::sync::MappedMutexGuard<'a, Transaction<'static, Any>>),
}

impl std::ops::Deref for Conn<'_> {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match self {
            Conn::Pool(c) => c,
            Conn::Tx(t) => t,
        }
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            Conn::Pool(c) => c,
            Conn::Tx(t) => t,
        }
    }
}

/// The advisory lock key that serialises audited changes across central processes on
/// PostgreSQL (SQLite serialises them with `BEGIN IMMEDIATE`).
const AUDIT_LOCK: i64 = 0x6d69_6d61_6d6f_7269; // "mimamori"

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
            // A change waits for the audit lock (an advisory lock) at most this long, then
            // fails with a clear error instead of hanging (SQLite's busy_timeout does the same).
            opts = opts.max_connections(16).after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("SET lock_timeout = '10s'").await?;
                    Ok(())
                })
            });
        }
        let pool = opts.connect(&url).await?;
        let db = Db { pool, backend, tx: None };
        db.migrate().await?;
        Ok(db)
    }

    /// Applies the migrations this release has; refuses a database that has one it does not
    /// know (issue 22, item 6: a newer release wrote it).
    async fn migrate(&self) -> Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("migrations/postgres"),
        };
        let known = migrator.iter().map(|m| m.version).max().unwrap_or(0);
        match migrator.run(&self.pool).await {
            Ok(()) => Ok(()),
            Err(sqlx::migrate::MigrateError::VersionMissing(found)) => {
                let newest: Option<i64> =
                    sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
                        .fetch_one(&self.pool)
                        .await
                        .ok()
                        .flatten();
                Err(StoreError::NewerSchema { found: newest.unwrap_or(found).max(found), known })
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Writes a consistent copy of a SQLite store to `to` (`VACUUM INTO`, while the server
    /// runs), for a backup; a PostgreSQL store is copied with `pg_dump` instead.
    pub async fn snapshot_sqlite(&self, to: &std::path::Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Corrupt("VACUUM INTO is SQLite's; use pg_dump".into()));
        }
        sqlx::query("VACUUM INTO $1")
            .bind(to.display().to_string())
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    /// The tables a PostgreSQL database holds in its `public` schema, without migrating it (a
    /// restore goes only into a database that holds none).
    pub async fn postgres_table_count(url: &str) -> Result<i64> {
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new().max_connections(1).connect(url).await?;
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
        )
        .fetch_one(&pool)
        .await?;
        pool.close().await;
        Ok(n)
    }

    /// The pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A connection for one statement: the handle's transaction, or one from the pool.
    pub(crate) async fn conn(&self) -> Result<Conn<'_>> {
        match &self.tx {
            None => Ok(Conn::Pool(self.pool.acquire().await?)),
            Some(tx) => tokio::sync::MutexGuard::try_map(tx.lock().await, Option::as_mut)
                .map(Conn::Tx)
                .map_err(|_| StoreError::changed("this change has already ended")),
        }
    }

    /// Begins a change: a handle on one transaction in which every repository method runs, so
    /// that a state change and its audit entry ([`audit_store::DbAuditStore::append_in`])
    /// commit together or not at all. The audit writer's lock is taken first — `BEGIN
    /// IMMEDIATE` on SQLite, a transaction-scoped advisory lock on PostgreSQL — so changes are
    /// serialised across connections and processes, and the chain head read inside the change
    /// is the head it appends to. Dropped without [`Db::commit`], it rolls back.
    pub async fn begin_change(&self) -> Result<Db> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(AUDIT_LOCK)
                    .execute(&mut *tx)
                    .await?;
                tx
            }
        };
        Ok(Db {
            pool: self.pool.clone(),
            backend: self.backend,
            tx: Some(Arc::new(tokio::sync::Mutex::new(Some(tx)))),
        })
    }

    /// Commits a change handle ([`Db::begin_change`]); on a pool handle, nothing to do.
    pub async fn commit(&self) -> Result<()> {
        if let Some(tx) = &self.tx
            && let Some(t) = tx.lock().await.take()
        {
            t.commit().await?;
        }
        Ok(())
    }

    /// Whether this handle is a change (one transaction).
    pub fn in_change(&self) -> bool {
        self.tx.is_some()
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
        .execute(&mut *self.conn().await?)
        .await?;
        let n: i64 = sqlx::query_scalar(
            "UPDATE counters SET next = next + 1 WHERE name = $1 RETURNING next - 1",
        )
        .bind(name)
        .fetch_one(&mut *self.conn().await?)
        .await?;
        Ok(n)
    }
}

/// Creates the empty database `name` (ASCII letters, digits, `_`) on the PostgreSQL server at
/// `server_url` (`postgres://user@host:port/db`, a user allowed to `CREATE DATABASE`) and
/// returns its URL — for tests and benchmarks that need a database of their own.
pub async fn create_pg_database(server_url: &str, name: &str) -> Result<String> {
    use sqlx::Connection;
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(StoreError::conflict(
            "db_name",
            format!("{name:?} is not a plain database name"),
        ));
    }
    let (prefix, _) = server_url.rsplit_once('/').ok_or_else(|| {
        StoreError::conflict("db_name", format!("{server_url}: no database name in the URL"))
    })?;
    let mut conn = sqlx::PgConnection::connect(server_url).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    Ok(format!("{prefix}/{name}"))
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

/// A flag as the store keeps it — `0` or `1` in an integer column, so the SQL stays the same on
/// both databases — read as a `bool` (`*flag`). A stored value other than 0 or 1 is a decoding
/// error, never taken as set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(transparent)]
pub struct Flag(pub bool);

impl TryFrom<i64> for Flag {
    type Error = policy::UnknownName;
    fn try_from(stored: i64) -> std::result::Result<Self, policy::UnknownName> {
        match stored {
            0 => Ok(Flag(false)),
            1 => Ok(Flag(true)),
            other => Err(policy::UnknownName { what: "flag (0 or 1)", name: other.to_string() }),
        }
    }
}

impl std::ops::Deref for Flag {
    type Target = bool;
    fn deref(&self) -> &bool {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use crate::accounts::SessionKind;
    use crate::registry::CameraStatus;
    use crate::workflow::InstructionState;
    use policy::serde_names_agree;

    #[test]
    fn stored_names_are_the_serde_names() {
        serde_names_agree(&CameraStatus::ALL, CameraStatus::as_str).unwrap();
        serde_names_agree(&InstructionState::ALL, InstructionState::as_str).unwrap();
        serde_names_agree(&SessionKind::ALL, SessionKind::as_str).unwrap();
        assert_eq!(SessionKind::try_from("cookie".to_owned()), Ok(SessionKind::Cookie));
        let e = CameraStatus::try_from("retired".to_owned()).unwrap_err();
        assert_eq!(e.to_string(), "unknown camera status \"retired\"");
    }
}
