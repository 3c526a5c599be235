//! The node database (SQLite, WAL, `secure_delete`): day keys, the segment index, gaps, chain
//! checkpoints, erasures and the cached holds.

use crate::Error;
use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::Path;
use std::str::FromStr;

/// A sealed segment's row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SegmentRow {
    /// Row id.
    pub id: i64,
    /// Camera.
    pub camera: String,
    /// JST day.
    pub day: String,
    /// Sequence number.
    pub seq: i64,
    /// The file, relative to the data directory (invariant S6): `segments/<camera>/<day>/<file>`.
    pub path: String,
    /// Key id.
    pub key_id: String,
    /// First frame wall time.
    pub start_ms: i64,
    /// Last frame wall time.
    pub end_ms: i64,
    /// First pts.
    pub start_pts: i64,
    /// Last pts.
    pub end_pts: i64,
    /// Frames.
    pub frames: i64,
    /// File size.
    pub bytes: i64,
    /// Merkle root.
    pub root: Vec<u8>,
    /// Previous link.
    pub prev_link: Vec<u8>,
    /// Link.
    pub link: Vec<u8>,
    /// Recovered after a crash.
    pub recovered: i64,
    /// Compact frame index.
    pub frame_index: Vec<u8>,
}

/// A day key row.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct KeyRow {
    /// Key id.
    pub key_id: String,
    /// Camera.
    pub camera: String,
    /// JST day.
    pub day: String,
    /// Hold id for a hold key.
    pub hold_id: Option<i64>,
    /// Wrapped key.
    pub wrapped: Vec<u8>,
}

/// A cached hold.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
pub struct HoldRow {
    /// The governance hold id.
    pub id: i64,
    /// Camera.
    pub camera: String,
    /// From.
    pub range_from: i64,
    /// To.
    pub range_to: i64,
    /// Until.
    pub until_at: i64,
}

/// The node database.
#[derive(Clone)]
pub struct NodeDb {
    pool: SqlitePool,
}

const SEG_COLS: &str = "id, camera, day, seq, path, key_id, start_ms, end_ms, start_pts, end_pts, frames, bytes, root, prev_link, link, recovered, frame_index";

impl NodeDb {
    /// Opens (creating) `data_dir/node.db` and migrates it.
    pub async fn open(data_dir: &Path) -> Result<NodeDb, Error> {
        let opts = SqliteConnectOptions::from_str(&format!(
            "sqlite://{}",
            data_dir.join("node.db").display()
        ))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        // Deleted content (wrapped keys!) is overwritten with zeros (PROD-ERASE-1).
        .pragma("secure_delete", "ON")
        .busy_timeout(std::time::Duration::from_secs(10));
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(opts).await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let db = NodeDb { pool };
        db.relativise_paths().await?;
        Ok(db)
    }

    /// Index rows written before invariant S6 hold the segment's path with the data directory
    /// in it, spelled as that run was given it (`demo-data/segments/…`, `/srv/data/segments/…`).
    /// Rewrites them to the path relative to the data directory — always the last four
    /// components, `segments/<camera>/<day>/<file>` — once; a no-op afterwards.
    async fn relativise_paths(&self) -> Result<(), Error> {
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, path FROM segments WHERE path NOT LIKE 'segments/%'")
                .fetch_all(&self.pool)
                .await?;
        for (id, path) in rows {
            let parts: Vec<&str> = path.rsplit(['/', '\\']).take(4).collect();
            let [file, day, camera, "segments"] = parts[..] else {
                return Err(Error::Corrupt(format!("segment {id}: unexpected path {path:?}")));
            };
            sqlx::query("UPDATE segments SET path = ? WHERE id = ?")
                .bind(format!("segments/{camera}/{day}/{file}"))
                .bind(id)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Writes a consistent copy of the index to `to` (SQLite `VACUUM INTO`, while the recorder
    /// runs), for a backup (issue 22, item 5), and returns the segment files the copy names.
    ///
    /// Without `with_footage` the copy holds no footage keys and no segment rows: a backup must
    /// not keep a camera-day alive past its erasure (PROD-ERASE-1), so footage is in a backup
    /// only on request, keys and files together. Gaps, erasures, holds and checkpoints stay.
    pub async fn snapshot(&self, to: &Path, with_footage: bool) -> Result<Vec<String>, Error> {
        use sqlx::{ConnectOptions, Connection};
        sqlx::query("VACUUM INTO ?").bind(to.display().to_string()).execute(&self.pool).await?;
        let mut conn = SqliteConnectOptions::from_str(&format!("sqlite://{}", to.display()))?
            .pragma("secure_delete", "ON")
            .connect()
            .await?;
        if !with_footage {
            sqlx::query("DELETE FROM segments").execute(&mut conn).await?;
            sqlx::query("DELETE FROM day_keys").execute(&mut conn).await?;
            // Rewrites the file: no page of a deleted key is left in it.
            sqlx::query("VACUUM").execute(&mut conn).await?;
        }
        let paths: Vec<String> = sqlx::query_scalar("SELECT path FROM segments ORDER BY id")
            .fetch_all(&mut conn)
            .await?;
        conn.close().await?;
        Ok(paths)
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The day key row of (camera, day), if it exists.
    pub async fn day_key(&self, camera: &str, day: &str) -> Result<Option<KeyRow>, Error> {
        Ok(sqlx::query_as("SELECT key_id, camera, day, hold_id, wrapped FROM day_keys WHERE camera = ? AND day = ? AND hold_id IS NULL")
            .bind(camera)
            .bind(day)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// A key row by id.
    pub async fn key(&self, key_id: &str) -> Result<Option<KeyRow>, Error> {
        Ok(sqlx::query_as(
            "SELECT key_id, camera, day, hold_id, wrapped FROM day_keys WHERE key_id = ?",
        )
        .bind(key_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Every key row.
    pub async fn keys(&self) -> Result<Vec<KeyRow>, Error> {
        Ok(sqlx::query_as(
            "SELECT key_id, camera, day, hold_id, wrapped FROM day_keys ORDER BY camera, day",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Stores a wrapped key (committed before any file it seals is created: invariant S2).
    pub async fn insert_key(
        &self,
        key_id: &str,
        camera: &str,
        day: &str,
        hold_id: Option<i64>,
        wrapped: &[u8],
        now: i64,
    ) -> Result<(), Error> {
        sqlx::query("INSERT INTO day_keys (key_id, camera, day, hold_id, wrapped, created_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(key_id)
            .bind(camera)
            .bind(day)
            .bind(hold_id)
            .bind(wrapped)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Destroys a key: deletes the row (`secure_delete` zeroes its page) and checkpoints the WAL
    /// so no copy stays in the log (invariant E1).
    pub async fn destroy_key(&self, key_id: &str) -> Result<(), Error> {
        sqlx::query("DELETE FROM day_keys WHERE key_id = ?")
            .bind(key_id)
            .execute(&self.pool)
            .await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)").execute(&self.pool).await?;
        Ok(())
    }

    /// Sealed segments held, the oldest one's start and their bytes; keys held; camera-days
    /// erased — the node's health figures.
    pub async fn health(&self) -> Result<node::NodeHealth, Error> {
        use sqlx::Row;
        let seg = sqlx::query("SELECT COUNT(*) AS n, MIN(start_ms) AS oldest, COALESCE(SUM(bytes), 0) AS bytes FROM segments")
            .fetch_one(&self.pool)
            .await?;
        let keys: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM day_keys").fetch_one(&self.pool).await?;
        let erased: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM erasures").fetch_one(&self.pool).await?;
        Ok(node::NodeHealth {
            disk_free_bytes: None,
            oldest_footage_ms: seg.try_get("oldest")?,
            segments: u64::try_from(seg.try_get::<i64, _>("n")?).unwrap_or(0),
            footage_bytes: u64::try_from(seg.try_get::<i64, _>("bytes")?).unwrap_or(0),
            keys_held: u64::try_from(keys).unwrap_or(0),
            erased_camera_days: u64::try_from(erased).unwrap_or(0),
            clock: None,
        })
    }

    /// Records a sealed segment (invariant S1: only after its file is fsynced).
    pub async fn insert_segment(&self, s: &SegmentRow) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO segments (camera, day, seq, path, key_id, start_ms, end_ms, start_pts, end_pts, frames, bytes, root, prev_link, link, recovered, frame_index) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&s.camera)
        .bind(&s.day)
        .bind(s.seq)
        .bind(&s.path)
        .bind(&s.key_id)
        .bind(s.start_ms)
        .bind(s.end_ms)
        .bind(s.start_pts)
        .bind(s.end_pts)
        .bind(s.frames)
        .bind(s.bytes)
        .bind(&s.root)
        .bind(&s.prev_link)
        .bind(&s.link)
        .bind(s.recovered)
        .bind(&s.frame_index)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The chain head of a camera: the highest sealed segment.
    pub async fn head(&self, camera: &str) -> Result<Option<SegmentRow>, Error> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SEG_COLS} FROM segments WHERE camera = ? ORDER BY seq DESC LIMIT 1"
        )))
        .bind(camera)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Segments of a camera overlapping `[from, to)`, in order.
    pub async fn segments_between(
        &self,
        camera: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<SegmentRow>, Error> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SEG_COLS} FROM segments WHERE camera = ? AND end_ms >= ? AND start_ms < ? ORDER BY seq"
        )))
        .bind(camera)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?)
    }

    /// At most `limit` segments of a camera overlapping `[from, to)`, in order (playback reads
    /// a few at a time).
    pub async fn segments_from(
        &self,
        camera: &str,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<SegmentRow>, Error> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SEG_COLS} FROM segments WHERE camera = ? AND end_ms >= ? AND start_ms < ? ORDER BY seq LIMIT ?"
        )))
        .bind(camera)
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Segments of a camera overlapping `[from, to)`, in order, without their frame index (a
    /// timeline of hours reads their times only).
    pub async fn segment_spans(
        &self,
        camera: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<SegmentRow>, Error> {
        let cols = SEG_COLS.replace("frame_index", "X'' AS frame_index");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {cols} FROM segments WHERE camera = ? AND end_ms >= ? AND start_ms < ? ORDER BY seq"
        )))
        .bind(camera)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Segments of a camera with `seq` in `[from_seq, to_seq]`, in order.
    pub async fn segments_by_seq(
        &self,
        camera: &str,
        from_seq: i64,
        to_seq: i64,
    ) -> Result<Vec<SegmentRow>, Error> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SEG_COLS} FROM segments WHERE camera = ? AND seq >= ? AND seq <= ? ORDER BY seq"
        )))
        .bind(camera)
        .bind(from_seq)
        .bind(to_seq)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Segments sealed with a key.
    pub async fn segments_with_key(&self, key_id: &str) -> Result<Vec<SegmentRow>, Error> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SEG_COLS} FROM segments WHERE key_id = ? ORDER BY seq"
        )))
        .bind(key_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every segment of a camera, in order.
    pub async fn segments_of(&self, camera: &str) -> Result<Vec<SegmentRow>, Error> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {SEG_COLS} FROM segments WHERE camera = ? ORDER BY seq"
        )))
        .bind(camera)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Whether a file is indexed.
    pub async fn has_path(&self, path: &str) -> Result<bool, Error> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM segments WHERE path = ?")
            .bind(path)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// Moves a held segment to its re-sealed file and key.
    pub async fn rekey_segment(
        &self,
        id: i64,
        path: &str,
        key_id: &str,
        bytes: i64,
    ) -> Result<(), Error> {
        sqlx::query("UPDATE segments SET path = ?, key_id = ?, bytes = ? WHERE id = ?")
            .bind(path)
            .bind(key_id)
            .bind(bytes)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes segment rows.
    pub async fn delete_segments(&self, ids: &[i64]) -> Result<(), Error> {
        for id in ids {
            sqlx::query("DELETE FROM segments WHERE id = ?").bind(id).execute(&self.pool).await?;
        }
        Ok(())
    }

    /// Opens a gap. In an explicit transaction: with `INSERT … RETURNING` in autocommit, SQLite
    /// hands out the row before the commit, and a commit that then fails (a full disk) went
    /// unnoticed — the gap vanished while its id was believed written (issue 25, D4).
    pub async fn open_gap(&self, camera: &str, start_ms: i64, cause: &str) -> Result<i64, Error> {
        let mut tx = self.pool.begin().await?;
        let id = sqlx::query_scalar(
            "INSERT INTO gaps (camera, start_ms, cause) VALUES (?, ?, ?) RETURNING id",
        )
        .bind(camera)
        .bind(start_ms)
        .bind(cause)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The gap that ended when a segment starting at `start_ms` began, if one did: it belongs
    /// in that segment's chain link (recovery of a torn segment, issue 25 D7).
    pub async fn gap_ending_at(
        &self,
        camera: &str,
        start_ms: i64,
    ) -> Result<Option<(i64, String)>, Error> {
        let row = sqlx::query(
            "SELECT start_ms, cause FROM gaps WHERE camera = ? AND end_ms = ? ORDER BY id DESC LIMIT 1",
        )
        .bind(camera)
        .bind(start_ms)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| (r.get("start_ms"), r.get("cause"))))
    }

    /// Records that mask `version` (`polygons` polygons; 0 for none) is burned in from the
    /// segment `first_seq` on (ASA-2.1).
    pub async fn insert_mask_change(
        &self,
        camera: &str,
        version: i64,
        first_seq: i64,
        effective_ms: i64,
        polygons: i64,
    ) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO mask_changes (camera, version, first_seq, effective_ms, polygons) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(camera)
        .bind(version)
        .bind(first_seq)
        .bind(effective_ms)
        .bind(polygons)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The mask version a camera's segment `seq` was recorded under (0: no masks in the
    /// recorder, or none recorded yet).
    pub async fn mask_version_of(&self, camera: &str, seq: i64) -> Result<i64, Error> {
        let v: Option<i64> = sqlx::query_scalar(
            "SELECT version FROM mask_changes WHERE camera = ? AND first_seq <= ? ORDER BY first_seq DESC, id DESC LIMIT 1",
        )
        .bind(camera)
        .bind(seq)
        .fetch_optional(&self.pool)
        .await?;
        Ok(v.unwrap_or(0))
    }

    /// The newest mask version recorded for a camera (0 if none).
    pub async fn last_mask_version(&self, camera: &str) -> Result<i64, Error> {
        self.mask_version_of(camera, i64::MAX).await
    }

    /// Records a gap known only after the fact (it could not be written when it began).
    pub async fn insert_gap(
        &self,
        camera: &str,
        start_ms: i64,
        end_ms: i64,
        cause: &str,
    ) -> Result<(), Error> {
        sqlx::query("INSERT INTO gaps (camera, start_ms, end_ms, cause) VALUES (?, ?, ?, ?)")
            .bind(camera)
            .bind(start_ms)
            .bind(end_ms)
            .bind(cause)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The newest gap of a camera: `(id, start, end, cause)`.
    pub async fn last_gap_of(
        &self,
        camera: &str,
    ) -> Result<Option<(i64, i64, Option<i64>, String)>, Error> {
        let row = sqlx::query(
            "SELECT id, start_ms, end_ms, cause FROM gaps WHERE camera = ? ORDER BY id DESC LIMIT 1",
        )
        .bind(camera)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| (r.get("id"), r.get("start_ms"), r.get("end_ms"), r.get("cause"))))
    }

    /// Opens a closed gap again (the segment that closed it never reached the index).
    pub async fn reopen_gap(&self, id: i64) -> Result<(), Error> {
        sqlx::query("UPDATE gaps SET end_ms = NULL WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Closes a gap. An error if no open gap has that id (it was never written): the caller
    /// then records the whole gap with [`NodeDb::insert_gap`], so no gap is lost.
    pub async fn close_gap(&self, id: i64, end_ms: i64) -> Result<(), Error> {
        let done = sqlx::query("UPDATE gaps SET end_ms = ? WHERE id = ? AND end_ms IS NULL")
            .bind(end_ms)
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() != 1 {
            return Err(Error::Corrupt(format!("gap {id} is not open in the index")));
        }
        Ok(())
    }

    /// The open gap of a camera (left by a stop or crash), if any.
    pub async fn open_gap_of(&self, camera: &str) -> Result<Option<(i64, i64, String)>, Error> {
        let row = sqlx::query("SELECT id, start_ms, cause FROM gaps WHERE camera = ? AND end_ms IS NULL ORDER BY id DESC LIMIT 1")
            .bind(camera)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| (r.get("id"), r.get("start_ms"), r.get("cause"))))
    }

    /// Gaps of a camera overlapping `[from, to)`: `(start, end, cause)`, end `None` while open.
    pub async fn gaps_between(
        &self,
        camera: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, Option<i64>, String)>, Error> {
        let rows = sqlx::query(
            "SELECT start_ms, end_ms, cause FROM gaps WHERE camera = ? AND start_ms < ? AND (end_ms IS NULL OR end_ms > ?) ORDER BY start_ms",
        )
        .bind(camera)
        .bind(to)
        .bind(from)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| (r.get("start_ms"), r.get("end_ms"), r.get("cause"))).collect())
    }

    /// Stores a chain checkpoint.
    pub async fn insert_checkpoint(&self, c: &media::chain::ChainCheckpoint) -> Result<(), Error> {
        sqlx::query("INSERT OR REPLACE INTO chain_checkpoints (camera, seq, link, at_ms, public_key, signature) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(&c.camera)
            .bind(c.seq as i64)
            .bind(c.link.to_vec())
            .bind(c.at_ms)
            .bind(&c.public_key)
            .bind(&c.signature)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Checkpoints of a camera with `seq` in `[from_seq, to_seq]`.
    pub async fn checkpoints_between(
        &self,
        camera: &str,
        from_seq: i64,
        to_seq: i64,
    ) -> Result<Vec<media::chain::ChainCheckpoint>, Error> {
        let rows = sqlx::query("SELECT camera, seq, link, at_ms, public_key, signature FROM chain_checkpoints WHERE camera = ? AND seq >= ? AND seq <= ? ORDER BY seq")
            .bind(camera)
            .bind(from_seq)
            .bind(to_seq)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let link: Vec<u8> = r.get("link");
                Ok(media::chain::ChainCheckpoint {
                    camera: r.get("camera"),
                    seq: r.get::<i64, _>("seq") as u64,
                    link: link.try_into().map_err(|_| Error::Corrupt("checkpoint link".into()))?,
                    at_ms: r.get("at_ms"),
                    public_key: r.get("public_key"),
                    signature: r.get("signature"),
                })
            })
            .collect()
    }

    /// Records an erasure.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_erasure(
        &self,
        camera: &str,
        day: &str,
        key_id: &str,
        segments: i64,
        frames: i64,
        bytes: i64,
        now: i64,
    ) -> Result<(), Error> {
        sqlx::query("INSERT INTO erasures (camera, day, key_id, segments, frames, bytes, erased_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind(camera)
            .bind(day)
            .bind(key_id)
            .bind(segments)
            .bind(frames)
            .bind(bytes)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Erasures performed, as `(camera, day, key_id, frames)`.
    pub async fn erasures(&self) -> Result<Vec<(String, String, String, i64)>, Error> {
        let rows = sqlx::query("SELECT camera, day, key_id, frames FROM erasures ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| (r.get("camera"), r.get("day"), r.get("key_id"), r.get("frames")))
            .collect())
    }

    /// The erasures after the `after`-th, in the node's order, at most `limit` (for the centre).
    pub async fn erasures_since(
        &self,
        after: i64,
        limit: u32,
    ) -> Result<Vec<node::Erasure>, Error> {
        let rows = sqlx::query(
            "SELECT id, camera, day, segments, frames, bytes, erased_at FROM erasures WHERE id > ? ORDER BY id LIMIT ?",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| node::Erasure {
                seq: r.get("id"),
                camera: r.get("camera"),
                day: r.get("day"),
                segments: r.get("segments"),
                frames: r.get("frames"),
                bytes: r.get("bytes"),
                erased_at_ms: r.get("erased_at"),
            })
            .collect())
    }

    /// What the yearly report needs from this node for `[from, to)`: gaps, when each camera
    /// was first recorded, and the camera-days erased (KIT-8).
    pub async fn report_facts(&self, from: i64, to: i64) -> Result<node::NodeFacts, Error> {
        let gaps = sqlx::query(
            "SELECT camera, start_ms, end_ms FROM gaps WHERE start_ms < ? AND (end_ms IS NULL OR end_ms > ?)",
        )
        .bind(to)
        .bind(from)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|r| node::Gap {
            camera: r.get("camera"),
            start_ms: r.get("start_ms"),
            end_ms: r.get("end_ms"),
        })
        .collect();
        let mut first: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
        for r in sqlx::query("SELECT camera, MIN(start_ms) AS first FROM segments GROUP BY camera")
            .fetch_all(&self.pool)
            .await?
        {
            first.insert(r.get("camera"), r.get("first"));
        }
        // Erased days were recorded too (from their JST midnight at the latest).
        for r in sqlx::query("SELECT camera, MIN(day) AS day FROM erasures GROUP BY camera")
            .fetch_all(&self.pool)
            .await?
        {
            let day: String = r.get("day");
            let cam: String = r.get("camera");
            if let Some(ms) = day
                .parse::<jiff::civil::Date>()
                .ok()
                .and_then(|d| policy::jst::midnight(d).ok())
                .map(|t| t.as_millisecond())
            {
                let e = first.entry(cam).or_insert(ms);
                *e = (*e).min(ms);
            }
        }
        let erased: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM erasures WHERE erased_at >= ? AND erased_at < ?",
        )
        .bind(from)
        .bind(to)
        .fetch_one(&self.pool)
        .await?
        .get("n");
        Ok(node::NodeFacts { gaps, first_recorded: first, erased_camera_days: erased as u64 })
    }

    /// Replaces the cached holds.
    pub async fn replace_holds(&self, holds: &[HoldRow]) -> Result<(), Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM holds").execute(&mut *tx).await?;
        for h in holds {
            sqlx::query("INSERT INTO holds (id, camera, range_from, range_to, until_at) VALUES (?, ?, ?, ?, ?)")
                .bind(h.id)
                .bind(&h.camera)
                .bind(h.range_from)
                .bind(h.range_to)
                .bind(h.until_at)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Cached holds in force at `now`.
    pub async fn holds_in_force(&self, now: i64) -> Result<Vec<HoldRow>, Error> {
        Ok(sqlx::query_as(
            "SELECT id, camera, range_from, range_to, until_at FROM holds WHERE until_at > ?",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }
}
