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
type Record = (u64, Result<Line, Tail>);

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

/// The records of the file. A last line without its newline is a write that never completed
/// (every append ends with one): it comes back as [`Tail::Torn`] unless it happens to parse.
fn read_lines(path: &Path) -> Result<Vec<Record>, StoreError> {
    let f = std::fs::File::open(path).map_err(StoreError::backend)?;
    let mut reader = std::io::BufReader::new(f);
    let mut out = Vec::new();
    let mut buf = Vec::new();
    let mut n = 0u64;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf).map_err(StoreError::backend)? == 0 {
            break;
        }
        n += 1;
        let complete = buf.last() == Some(&b'\n');
        let line = String::from_utf8_lossy(&buf);
        if line.trim().is_empty() {
            continue;
        }
        let parsed = serde_json::from_str::<Line>(line.trim_end());
        out.push(match parsed {
            Ok(l) => (n, Ok(l)),
            Err(_) if !complete => (n, Err(Tail::Torn)),
            Err(e) => (n, Err(Tail::Bad(e.to_string()))),
        });
    }
    Ok(out)
}

/// Why a record does not parse.
enum Tail {
    /// The last line, cut mid-write.
    Torn,
    /// Anything else: a damaged or edited record.
    Bad(String),
}

impl FileStore {
    /// Moves a torn last line (a crash while appending) out of the log into `<log>.torn`, so the
    /// next entry follows a whole record; returns its line number. The writer calls this when
    /// it opens the log; a verifier never does (it reports the torn line as a crash).
    pub fn set_aside_torn_tail(&self) -> Result<Option<u64>, StoreError> {
        let bytes = std::fs::read(&self.path).map_err(StoreError::backend)?;
        if bytes.last().is_none_or(|b| *b == b'\n') {
            return Ok(None);
        }
        let keep = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let line = bytes[..keep].iter().filter(|b| **b == b'\n').count() as u64 + 1;
        let mut torn = std::path::PathBuf::from(&self.path).into_os_string();
        torn.push(".torn");
        let mut side = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&torn)
            .map_err(StoreError::backend)?;
        side.write_all(&bytes[keep..])
            .and_then(|()| side.write_all(b"\n"))
            .map_err(StoreError::backend)?;
        side.sync_all().map_err(StoreError::backend)?;
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&self.path)
            .map_err(StoreError::backend)?;
        f.set_len(keep as u64).and_then(|()| f.sync_all()).map_err(StoreError::backend)?;
        Ok(Some(line))
    }
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
        self.write_whole(&text)?;
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
                Err(Tail::Torn) => {
                    // Reported on the call that starts at it, after the whole records.
                    if index >= skip && out.is_empty() {
                        return Err(StoreError::Torn { position: n });
                    }
                    break;
                }
                Err(Tail::Bad(reason)) => {
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

    async fn add_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError> {
        let _head = self.head.lock().map_err(|_| poisoned())?;
        if self
            .records()?
            .iter()
            .any(|(_, l)| matches!(l, Ok(Line::Checkpoint(c)) if c.seq == checkpoint.seq))
        {
            return Ok(());
        }
        let mut text = serde_json::to_string(&Line::Checkpoint(checkpoint.clone()))
            .map_err(StoreError::backend)?;
        text.push('\n');
        self.write_whole(&text)
    }
}

impl FileStore {
    /// Appends whole lines in one write, then fsync: a crash leaves at most a torn last line,
    /// which the verifier reports as a crash. A write that cannot complete (a full disk) is cut
    /// back to the last whole record before anything else is written, so the next entry does
    /// not follow a torn line and the log still verifies (issue 25, D3).
    fn write_whole(&self, text: &str) -> Result<(), StoreError> {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(StoreError::backend)?;
        let before = f.metadata().map_err(StoreError::backend)?.len();
        if let Err(e) = f.write_all(text.as_bytes()).and_then(|()| f.sync_data()) {
            let _ = f.set_len(before).and_then(|()| f.sync_data());
            return Err(StoreError::backend(e));
        }
        Ok(())
    }
}

fn poisoned() -> StoreError {
    StoreError::backend(std::io::Error::other("audit file lock poisoned"))
}
