//! The file backend: one JSON object per line, fsynced on every append.
//!
//! ```text
//! {"log":{"id":"…","created":"…"}}
//! {"entry":{"seq":1,…}}
//! {"checkpoint":{"seq":1,…}}
//! ```

use crate::checkpoint::Checkpoint;
use crate::entry::{Entry, LogId};
use crate::store::{Head, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Line {
    Log { id: LogId, created: jiff::Timestamp },
    Entry(Entry),
    Checkpoint(Checkpoint),
}

/// A line number and the line parsed, or why it does not parse.
type Record = (u64, Result<Line, String>);

/// An audit log in a JSON-lines file.
pub struct FileStore {
    path: PathBuf,
    log_id: LogId,
    /// Serialises appends within the process and caches the head.
    head: Mutex<Option<Head>>,
}

impl FileStore {
    /// Opens the log at `path`, creating it with a fresh id if missing.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        if !path.exists() {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(StoreError::backend)?;
            }
            let id = LogId::random()
                .map_err(|e| StoreError::backend(std::io::Error::other(e.to_string())))?;
            let line = Line::Log { id, created: jiff::Timestamp::now() };
            let mut f = std::fs::OpenOptions::new()
                .create_new(true)
                .append(true)
                .open(&path)
                .map_err(StoreError::backend)?;
            writeln!(f, "{}", serde_json::to_string(&line).map_err(StoreError::backend)?)
                .map_err(StoreError::backend)?;
            f.sync_all().map_err(StoreError::backend)?;
        }
        let mut log_id = None;
        let mut head = None;
        for (n, line) in read_lines(&path)? {
            match line {
                Ok(Line::Log { id, .. }) if n == 1 => log_id = Some(id),
                Ok(Line::Entry(e)) => head = Some(Head { seq: e.seq, hash: e.hash }),
                _ => {}
            }
        }
        let log_id = log_id.ok_or(StoreError::Unreadable {
            position: 1,
            reason: "the first line must be the log header".into(),
        })?;
        Ok(FileStore { path, log_id, head: Mutex::new(head) })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn records(&self) -> Result<Vec<Record>, StoreError> {
        read_lines(&self.path)
    }
}

fn read_lines(path: &Path) -> Result<Vec<Record>, StoreError> {
    let f = std::fs::File::open(path).map_err(StoreError::backend)?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let n = i as u64 + 1;
        let line = line.map_err(StoreError::backend)?;
        if line.trim().is_empty() {
            continue;
        }
        out.push((n, serde_json::from_str::<Line>(&line).map_err(|e| e.to_string())));
    }
    Ok(out)
}

impl Store for FileStore {
    async fn log_id(&self) -> Result<LogId, StoreError> {
        Ok(self.log_id)
    }

    async fn head(&self) -> Result<Option<Head>, StoreError> {
        Ok(*self.head.lock().map_err(|_| poisoned())?)
    }

    async fn append(
        &self,
        entry: &Entry,
        checkpoint: Option<&Checkpoint>,
    ) -> Result<(), StoreError> {
        let mut head = self.head.lock().map_err(|_| poisoned())?;
        if head.is_some_and(|h| h.seq >= entry.seq) {
            return Err(StoreError::Conflict(entry.seq));
        }
        let mut text =
            serde_json::to_string(&Line::Entry(entry.clone())).map_err(StoreError::backend)?;
        text.push('\n');
        if let Some(c) = checkpoint {
            text.push_str(
                &serde_json::to_string(&Line::Checkpoint(c.clone()))
                    .map_err(StoreError::backend)?,
            );
            text.push('\n');
        }
        // One write of whole lines, then fsync: a crash leaves at most a torn last line, which
        // the verifier reports as unreadable.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(StoreError::backend)?;
        let before = f.metadata().map_err(StoreError::backend)?.len();
        if let Err(e) = f.write_all(text.as_bytes()).and_then(|()| f.sync_data()) {
            // A write that could not complete (a full disk) is cut back to the last whole
            // record before anything else is written, so the next entry does not follow a torn
            // line and the log still verifies (issue 25, D3).
            let _ = f.set_len(before).and_then(|()| f.sync_data());
            return Err(StoreError::backend(e));
        }
        *head = Some(Head { seq: entry.seq, hash: entry.hash });
        Ok(())
    }

    async fn entries(&self, skip: u64, limit: usize) -> Result<Vec<Entry>, StoreError> {
        let mut out = Vec::new();
        let mut index = 0u64;
        for (n, line) in self.records()? {
            match line {
                Ok(Line::Entry(e)) => {
                    if index >= skip && out.len() < limit {
                        out.push(e);
                    }
                    index += 1;
                }
                Ok(_) => {}
                Err(reason) => {
                    if index >= skip {
                        return Err(StoreError::Unreadable { position: n, reason });
                    }
                    index += 1;
                }
            }
        }
        Ok(out)
    }

    async fn checkpoints(&self) -> Result<Vec<Checkpoint>, StoreError> {
        Ok(self
            .records()?
            .into_iter()
            .filter_map(|(_, l)| match l {
                Ok(Line::Checkpoint(c)) => Some(c),
                _ => None,
            })
            .collect())
    }
}

fn poisoned() -> StoreError {
    StoreError::backend(std::io::Error::other("audit file lock poisoned"))
}
