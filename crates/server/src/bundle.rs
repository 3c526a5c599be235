//! Several files handed out as one zip (issue 19, item 6: an extraction's packages in one
//! download), streamed: the zip crate's streaming writer runs on a blocking thread, reads each
//! file's body chunk by chunk and hands its output on through a bounded channel, so memory stays
//! a few chunks whatever the files' sizes. Entries are stored, not compressed (the files are
//! zips or age streams already), each with its data descriptor.

use axum::body::Body;
use bytes::Bytes;
use futures::StreamExt;
use std::io::Write;

/// Output chunks handed to the response at about this size.
const CHUNK: usize = 256 * 1024;

/// One file of the bundle: its name, size in bytes, time (UTC milliseconds, shown in JST) and
/// contents.
pub type BundledFile = (String, i64, i64, Body);

/// The files as one stored zip, streamed. A file that fails to read mid-way ends the response
/// with an error (the client sees a cut download, never a zip that looks complete).
pub fn stored_zip(files: Vec<BundledFile>) -> Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    let handle = tokio::runtime::Handle::current();
    let errors = tx.clone();
    tokio::task::spawn_blocking(move || {
        if let Err(e) = write_zip(&handle, files, Out { tx, buf: Vec::with_capacity(CHUNK) }) {
            tracing::error!(error = %e, "a bundle of packages was cut short");
            let _ = errors.blocking_send(Err(e));
        }
    });
    let mut rx = rx;
    Body::from_stream(futures::stream::poll_fn(move |cx| rx.poll_recv(cx)))
}

fn write_zip(
    handle: &tokio::runtime::Handle,
    files: Vec<BundledFile>,
    out: Out,
) -> std::io::Result<()> {
    let mut zip = zip::ZipWriter::new_stream(out);
    for (name, size, at_ms, body) in files {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(size >= i64::from(u32::MAX))
            .last_modified_time(dos_time(at_ms));
        zip.start_file(name, options).map_err(std::io::Error::other)?;
        let mut stream = body.into_data_stream();
        while let Some(chunk) = handle.block_on(stream.next()) {
            zip.write_all(&chunk.map_err(std::io::Error::other)?)?;
        }
    }
    let mut out = zip.finish().map_err(std::io::Error::other)?.into_inner();
    out.send()
}

/// The file's time in JST, as zip's DOS time holds it — the packages' own conversion
/// ([`evidence::package::dos_time`]); 1980-01-01 if out of its range.
fn dos_time(ms: i64) -> zip::DateTime {
    let (time, date) = evidence::package::dos_time(ms);
    zip::DateTime::try_from_msdos(date, time).unwrap_or_default()
}

/// The zip's output: gathered into chunks, each sent to the response (waiting while the
/// client is slow: the channel is bounded). A client gone away ends the writing.
struct Out {
    tx: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl Out {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client left"))
    }
}

impl Write for Out {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}
