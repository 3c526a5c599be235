//! The database backend of the audit log (`audit::Store`), on the same database as the
//! governance records so that a state change and its audit entry live side by side.

use crate::Db;
use audit::{
    Checkpoint, Digest, Entry, Event, Head, LogId, Outcome, Position, Sealer, Store, StoreError,
};
use sqlx::Row;

/// The audit log in the governance database.
#[derive(Clone)]
pub struct DbAuditStore {
    db: Db,
    log_id: LogId,
}

fn backend(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict(0),
        _ => StoreError::backend(e),
    }
}

impl DbAuditStore {
    /// Opens the log, creating its id on first use.
    pub async fn open(db: Db, now_ms: i64) -> Result<Self, StoreError> {
        let fresh = LogId::random()
            .map_err(|e| StoreError::backend(std::io::Error::other(e.to_string())))?;
        sqlx::query("INSERT INTO audit_meta (id, log_id, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING")
            .bind(fresh.0.to_hex())
            .bind(now_ms)
            .execute(db.pool())
            .await
            .map_err(backend)?;
        let text: String = sqlx::query_scalar("SELECT log_id FROM audit_meta WHERE id = 1")
            .fetch_one(db.pool())
            .await
            .map_err(backend)?;
        let log_id = Digest::from_hex(&text).map(LogId).ok_or_else(|| StoreError::Unreadable {
            position: 0,
            reason: "audit_meta.log_id is not a digest".into(),
        })?;
        Ok(DbAuditStore { db, log_id })
    }

    /// Entries matching simple filters, newest first.
    pub async fn search(
        &self,
        actor: Option<&str>,
        action: Option<&str>,
        object: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Entry>, StoreError> {
        self.search_page(&AuditFilter {
            actor: actor.map(str::to_owned),
            action: action.map(str::to_owned),
            object: object.map(str::to_owned),
            limit,
            ..AuditFilter::default()
        })
        .await
    }

    /// A page of the entries matching `f`, newest first (the audit search screen).
    pub async fn search_page(&self, f: &AuditFilter) -> Result<Vec<Entry>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, role, workstation, action, object, outcome, rule, detail, prev_hash, hash, client FROM audit_entries \
             WHERE ($1 = '' OR actor = $1) AND ($2 = '' OR action LIKE $2) AND ($3 = '' OR object = $3) \
             AND ($4 = 0 OR seq < $4) AND ($5 = 0 OR at >= $5) AND ($6 = 0 OR at < $6) \
             AND ($8 = 0 OR actor IN (SELECT CAST(a.id AS TEXT) FROM accounts a WHERE a.organisation_id = $8) \
                  OR object = 'organisation:' || CAST($8 AS TEXT) \
                  OR object IN (SELECT 'camera:' || c.code FROM cameras c WHERE c.owner_org_id = $8) \
                  OR object IN (SELECT 'request:' || CAST(r.id AS TEXT) FROM requests r WHERE r.owner_org_id = $8) \
                  OR object IN (SELECT 'account:' || CAST(a.id AS TEXT) FROM accounts a WHERE a.organisation_id = $8)) \
             ORDER BY seq DESC LIMIT $7",
        )
        .bind(f.actor.as_deref().unwrap_or(""))
        .bind(f.action.as_deref().map(|a| format!("{a}%")).unwrap_or_default())
        .bind(f.object.as_deref().unwrap_or(""))
        .bind(f.before_seq.unwrap_or(0))
        .bind(f.from_ms.unwrap_or(0))
        .bind(f.to_ms.unwrap_or(0))
        .bind(f.limit)
        .bind(f.organisation.unwrap_or(0))
        .fetch_all(self.db.pool())
        .await
        .map_err(backend)?;
        rows.iter().enumerate().map(|(i, r)| row_to_entry(r, i as u64 + 1)).collect()
    }
}

/// Filters of an audit search.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this actor (account id, `system`, `public`, `anonymous`).
    pub actor: Option<String>,
    /// Only actions beginning with this (`footage.`, `request.approve`).
    pub action: Option<String>,
    /// Only this object (`request:12`).
    pub object: Option<String>,
    /// The cursor: entries before this sequence number.
    pub before_seq: Option<i64>,
    /// From this instant (UTC ms).
    pub from_ms: Option<i64>,
    /// Before this instant (UTC ms).
    pub to_ms: Option<i64>,
    /// At most this many.
    pub limit: i64,
    /// Only entries concerning this organisation: by its members, or about it, its cameras, its
    /// requests or its accounts (issue 15: an owner reads its own part of the log).
    pub organisation: Option<i64>,
}

fn row_to_entry(r: &sqlx::any::AnyRow, position: u64) -> Result<Entry, StoreError> {
    let bad = |what: &str| StoreError::Unreadable { position, reason: format!("bad {what}") };
    let seq: i64 = r.try_get("seq").map_err(|_| bad("seq"))?;
    let at: i64 = r.try_get("at").map_err(|_| bad("at"))?;
    let outcome: String = r.try_get("outcome").map_err(|_| bad("outcome"))?;
    let prev: String = r.try_get("prev_hash").map_err(|_| bad("prev_hash"))?;
    let hash: String = r.try_get("hash").map_err(|_| bad("hash"))?;
    Ok(Entry {
        seq: u64::try_from(seq).map_err(|_| bad("seq"))?,
        at: jiff::Timestamp::from_millisecond(at).map_err(|_| bad("at"))?,
        actor: r.try_get("actor").map_err(|_| bad("actor"))?,
        role: r.try_get("role").map_err(|_| bad("role"))?,
        workstation: r.try_get("workstation").map_err(|_| bad("workstation"))?,
        action: r.try_get("action").map_err(|_| bad("action"))?,
        object: r.try_get("object").map_err(|_| bad("object"))?,
        outcome: Outcome::parse(&outcome).ok_or_else(|| bad("outcome"))?,
        rule: r.try_get("rule").map_err(|_| bad("rule"))?,
        detail: r.try_get("detail").map_err(|_| bad("detail"))?,
        prev_hash: Digest::from_hex(&prev).ok_or_else(|| bad("prev_hash"))?,
        hash: Digest::from_hex(&hash).ok_or_else(|| bad("hash"))?,
        client: r.try_get("client").map_err(|_| bad("client"))?,
    })
}

/// Inserts one entry, and the checkpoint covering it, in `db`'s connection or change.
async fn insert(db: &Db, e: &Entry, checkpoint: Option<&Checkpoint>) -> Result<(), StoreError> {
    let mut conn = db.conn().await.map_err(StoreError::backend)?;
    sqlx::query(
        "INSERT INTO audit_entries (seq, at, actor, role, workstation, action, object, outcome, rule, detail, prev_hash, hash, client) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(e.seq as i64)
    .bind(e.at.as_millisecond())
    .bind(&e.actor)
    .bind(&e.role)
    .bind(&e.workstation)
    .bind(&e.action)
    .bind(&e.object)
    .bind(e.outcome.as_str())
    .bind(&e.rule)
    .bind(&e.detail)
    .bind(e.prev_hash.to_hex())
    .bind(e.hash.to_hex())
    .bind(&e.client)
    .execute(&mut *conn)
    .await
    .map_err(|err| match backend(err) {
        StoreError::Conflict(_) => StoreError::Conflict(e.seq),
        other => other,
    })?;
    drop(conn);
    if let Some(c) = checkpoint {
        insert_checkpoint(db, c).await?;
    }
    Ok(())
}

impl DbAuditStore {
    /// The log's position as `db` (a change, or the pool) sees it.
    pub async fn position_in(&self, db: &Db) -> Result<Position, StoreError> {
        let mut conn = db.conn().await.map_err(StoreError::backend)?;
        let head = sqlx::query("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
        let head = match head {
            None => None,
            Some(row) => {
                let seq: i64 = row.try_get("seq").map_err(backend)?;
                let hash: String = row.try_get("hash").map_err(backend)?;
                let hash = Digest::from_hex(&hash).ok_or(StoreError::Unreadable {
                    position: seq as u64,
                    reason: "bad hash".into(),
                })?;
                Some(Head { seq: seq as u64, hash })
            }
        };
        let last = sqlx::query("SELECT seq, at FROM audit_checkpoints ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await
            .map_err(backend)?;
        let last_checkpoint = match last {
            None => None,
            Some(row) => {
                let seq: i64 = row.try_get("seq").map_err(backend)?;
                let at: i64 = row.try_get("at").map_err(backend)?;
                let at = jiff::Timestamp::from_millisecond(at).map_err(|_| {
                    StoreError::Unreadable { position: seq as u64, reason: "bad checkpoint".into() }
                })?;
                Some((seq as u64, at))
            }
        };
        Ok(Position { log_id: self.log_id, head, last_checkpoint })
    }

    /// Appends `events` inside `change` (a [`Db::begin_change`] handle): the head is read in
    /// the change, under its lock, so the entries chain onto what is committed and commit (or
    /// roll back) with the change they describe — never a change without its entry, never an
    /// entry without its change (issue 26).
    pub async fn append_in(
        &self,
        change: &Db,
        sealer: &Sealer,
        events: Vec<(Event, jiff::Timestamp)>,
    ) -> Result<Vec<Entry>, StoreError> {
        let mut pos = self.position_in(change).await?;
        let mut out = Vec::with_capacity(events.len());
        for (event, at) in events {
            let (entry, checkpoint) = sealer.seal(&mut pos, event, at);
            insert(change, &entry, checkpoint.as_ref()).await?;
            out.push(entry);
        }
        Ok(out)
    }
}

/// Stores `c`, a checkpoint of an entry already in the log, in `db`'s connection or change; a
/// second checkpoint of the same entry is ignored.
async fn insert_checkpoint(db: &Db, c: &Checkpoint) -> Result<(), StoreError> {
    let mut conn = db.conn().await.map_err(StoreError::backend)?;
    sqlx::query("INSERT INTO audit_checkpoints (seq, log_id, hash, at, public_key, signature) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (seq) DO NOTHING")
        .bind(c.seq as i64)
        .bind(c.log_id.0.to_hex())
        .bind(c.hash.to_hex())
        .bind(c.at.as_millisecond())
        .bind(&c.public_key)
        .bind(&c.signature)
        .execute(&mut *conn)
        .await
        .map_err(backend)?;
    Ok(())
}

impl DbAuditStore {
    /// Signs and stores, inside `change`, a checkpoint of the head at `at` when entries other
    /// than witness records have been appended since the last checkpoint (the timer that keeps a
    /// quiet log signed; issue 17, item 6).
    pub async fn checkpoint_if_moved_in(
        &self,
        change: &Db,
        sealer: &Sealer,
        at: jiff::Timestamp,
    ) -> Result<Option<Checkpoint>, StoreError> {
        let pos = self.position_in(change).await?;
        let Some(head) = pos.head else { return Ok(None) };
        let since = pos.last_checkpoint.map_or(0, |(seq, _)| seq);
        if head.seq <= since {
            return Ok(None);
        }
        let mut conn = change.conn().await.map_err(StoreError::backend)?;
        let moved: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_entries WHERE seq > $1 AND action <> $2",
        )
        .bind(since as i64)
        .bind(audit::WITNESS_ACTION)
        .fetch_one(&mut *conn)
        .await
        .map_err(backend)?;
        drop(conn);
        if moved == 0 {
            return Ok(None);
        }
        let Some(c) = sealer.checkpoint(&pos, at) else { return Ok(None) };
        insert_checkpoint(change, &c).await?;
        Ok(Some(c))
    }

    /// Every checkpoint of log `of` witnessed in this log (entries `audit.witness`), oldest
    /// first.
    pub async fn witnessed(&self, of: &LogId) -> Result<Vec<Checkpoint>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, role, workstation, action, object, outcome, rule, detail, prev_hash, hash, client FROM audit_entries \
             WHERE action = $1 AND object = $2 ORDER BY seq",
        )
        .bind(audit::WITNESS_ACTION)
        .bind(format!("audit-log:{}", of.0.to_hex()))
        .fetch_all(self.db.pool())
        .await
        .map_err(backend)?;
        let mut out = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            if let Some(c) = audit::witness::witnessed_by(&row_to_entry(r, i as u64 + 1)?, of) {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// The log's id.
    pub fn id(&self) -> LogId {
        self.log_id
    }
}

impl Store for DbAuditStore {
    async fn log_id(&self) -> Result<LogId, StoreError> {
        Ok(self.log_id)
    }

    async fn head(&self) -> Result<Option<Head>, StoreError> {
        let row = sqlx::query("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1")
            .fetch_optional(self.db.pool())
            .await
            .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let seq: i64 = row.try_get("seq").map_err(backend)?;
        let hash: String = row.try_get("hash").map_err(backend)?;
        Ok(Some(Head {
            seq: seq as u64,
            hash: Digest::from_hex(&hash).ok_or(StoreError::Unreadable {
                position: seq as u64,
                reason: "bad hash".into(),
            })?,
        }))
    }

    async fn append(&self, e: &Entry, checkpoint: Option<&Checkpoint>) -> Result<(), StoreError> {
        let change = self.db.begin_change().await.map_err(StoreError::backend)?;
        insert(&change, e, checkpoint).await?;
        change.commit().await.map_err(StoreError::backend)
    }

    async fn entries(&self, skip: u64, limit: usize) -> Result<Vec<Entry>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, at, actor, role, workstation, action, object, outcome, rule, detail, prev_hash, hash, client FROM audit_entries \
             ORDER BY seq LIMIT $1 OFFSET $2",
        )
        .bind(limit as i64)
        .bind(skip as i64)
        .fetch_all(self.db.pool())
        .await
        .map_err(backend)?;
        rows.iter().enumerate().map(|(i, r)| row_to_entry(r, skip + i as u64 + 1)).collect()
    }

    async fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        let rows = sqlx::query("SELECT seq, log_id, hash, at, public_key, signature FROM audit_checkpoints ORDER BY seq")
            .fetch_all(self.db.pool())
            .await
            .map_err(backend)?;
        rows.iter()
            .map(|r| {
                let seq: i64 = r.try_get("seq").map_err(backend)?;
                let bad = || StoreError::Unreadable {
                    position: seq as u64,
                    reason: "bad checkpoint".into(),
                };
                let log_id: String = r.try_get("log_id").map_err(backend)?;
                let hash: String = r.try_get("hash").map_err(backend)?;
                let at: i64 = r.try_get("at").map_err(backend)?;
                Ok(Checkpoint {
                    log_id: LogId(Digest::from_hex(&log_id).ok_or_else(bad)?),
                    seq: seq as u64,
                    hash: Digest::from_hex(&hash).ok_or_else(bad)?,
                    at: jiff::Timestamp::from_millisecond(at).map_err(|_| bad())?,
                    public_key: r.try_get("public_key").map_err(backend)?,
                    signature: r.try_get("signature").map_err(backend)?,
                })
            })
            .collect()
    }

    async fn add_checkpoint(&self, c: &Checkpoint) -> Result<(), StoreError> {
        insert_checkpoint(&self.db, c).await
    }
}
