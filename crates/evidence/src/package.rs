//! The package container: a zip of stored entries with fixed names, optionally encrypted to the
//! recipient with age (PROD-EVIDENCE-1), and a reader that refuses anything else before it
//! reads a byte of content: unknown or duplicate names (so no path can escape), compressed
//! entries (so no zip bomb), entries above their size limit.

use crate::Error;
use crate::manifest::{MAX_MANIFEST_BYTES, Manifest};
use age::secrecy::SecretString;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

/// The MP4 entry.
pub const VIDEO: &str = "video.mp4";
/// The manifest entry.
pub const MANIFEST: &str = "manifest.json";
/// The manifest signature entry.
pub const SIGNATURE: &str = "manifest.sig";
/// The city certificate entry.
pub const CITY_CERT: &str = "city-cert.pem";
/// The instructions entry.
pub const README: &str = "README.txt";
/// Every name a package may hold, and the largest size of each.
const ENTRIES: [(&str, u64); 5] = [
    (VIDEO, 1 << 40),
    (MANIFEST, MAX_MANIFEST_BYTES),
    (SIGNATURE, 1024),
    (CITY_CERT, 64 << 10),
    (README, 64 << 10),
];
/// An age file starts with this line.
const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";

/// Where the zip bytes go: a file, or an age stream into a file.
pub trait Sink: Write + Send {
    /// Completes the stream and makes the file durable.
    fn finish(self: Box<Self>) -> std::io::Result<()>;
}

/// Written bytes between two background flushes of an unencrypted package.
const FLUSH_EVERY: u64 = 64 << 20;

/// An unencrypted file. Writes are buffered; every [`FLUSH_EVERY`] bytes a background thread
/// flushes what is written so far (`fdatasync` on a second handle), so the disk works while the
/// export computes and the final `fsync` has little left to wait for.
pub struct Plain {
    out: std::io::BufWriter<File>,
    written: u64,
    flushed_at: u64,
    flusher:
        Option<(std::sync::mpsc::SyncSender<()>, std::thread::JoinHandle<std::io::Result<()>>)>,
}

impl Plain {
    /// Writes to `file`.
    pub fn new(file: File) -> std::io::Result<Plain> {
        let handle = file.try_clone()?;
        let (tx, rx) = std::sync::mpsc::sync_channel::<()>(1);
        let t = std::thread::Builder::new().name("package-flush".into()).spawn(move || {
            for () in rx {
                handle.sync_data()?;
            }
            Ok(())
        })?;
        Ok(Plain {
            out: std::io::BufWriter::with_capacity(1 << 20, file),
            written: 0,
            flushed_at: 0,
            flusher: Some((tx, t)),
        })
    }
}

impl Write for Plain {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(b)?;
        self.written += n as u64;
        if self.written - self.flushed_at >= FLUSH_EVERY {
            self.out.flush()?;
            self.flushed_at = self.written;
            if let Some((tx, _)) = &self.flusher {
                // A flush still running covers this one's pages soon enough: skip, never wait.
                let _ = tx.try_send(());
            }
        }
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

impl Sink for Plain {
    fn finish(mut self: Box<Self>) -> std::io::Result<()> {
        self.out.flush()?;
        if let Some((tx, t)) = self.flusher.take() {
            drop(tx);
            t.join().map_err(|_| std::io::Error::other("the flush thread failed"))??;
        }
        self.out.get_ref().sync_all()
    }
}

struct Aged(age::stream::StreamWriter<std::io::BufWriter<File>>);

impl Write for Aged {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.write(b)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

impl Sink for Aged {
    fn finish(self: Box<Self>) -> std::io::Result<()> {
        let f = self.0.finish()?.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()
    }
}

/// Encryption of a package to its recipient.
pub enum Encryption {
    /// A passphrase handed over separately (scrypt).
    Passphrase(SecretString),
    /// X25519 recipients (`age1…`).
    Recipients(Vec<age::x25519::Recipient>),
}

impl Encryption {
    /// Parses `age1…` recipients.
    pub fn recipients(list: &[String]) -> Result<Encryption, Error> {
        let r = list
            .iter()
            .map(|s| {
                s.trim()
                    .parse::<age::x25519::Recipient>()
                    .map_err(|e| Error::Package(format!("recipient {s:?}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if r.is_empty() {
            return Err(Error::Package("no recipient".into()));
        }
        Ok(Encryption::Recipients(r))
    }

    /// Wraps the output file.
    pub fn wrap(&self, file: File) -> Result<Box<dyn Sink>, Error> {
        let enc = match self {
            Encryption::Passphrase(p) => age::Encryptor::with_user_passphrase(p.clone()),
            Encryption::Recipients(r) => {
                age::Encryptor::with_recipients(r.iter().map(|r| r as &dyn age::Recipient))
                    .map_err(|e| Error::Package(format!("encryption: {e}")))?
            }
        };
        let w = enc.wrap_output(std::io::BufWriter::with_capacity(1 << 20, file))?;
        Ok(Box::new(Aged(w)))
    }
}

/// How to open an encrypted package.
pub enum Decryption {
    /// The passphrase.
    Passphrase(SecretString),
    /// X25519 identities (`AGE-SECRET-KEY-1…`), e.g. from an identity file.
    Identities(Vec<age::x25519::Identity>),
}

impl Decryption {
    /// Reads an age identity file (comments and blank lines allowed).
    pub fn identity_file(text: &str) -> Result<Decryption, Error> {
        let ids = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| {
                l.parse::<age::x25519::Identity>().map_err(|_| {
                    Error::Package(
                        "the identity file holds a line that is not an age X25519 identity".into(),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if ids.is_empty() {
            return Err(Error::Package("the identity file holds no identity".into()));
        }
        Ok(Decryption::Identities(ids))
    }
}

/// The zip writer of an export.
pub struct Writer {
    zip: ZipWriter<zip::write::StreamWriter<Box<dyn Sink>>>,
    options: SimpleFileOptions,
}

impl Writer {
    /// Starts a package; entries carry `now_ms` as their time (JST, zip has no zone).
    pub fn new(sink: Box<dyn Sink>, now_ms: i64) -> Result<Writer, Error> {
        let t = jiff::Timestamp::from_millisecond(now_ms)
            .map(policy::jst::civil)
            .map_err(|e| Error::Package(format!("time: {e}")))?;
        let dt = zip::DateTime::from_date_and_time(
            u16::try_from(t.year()).unwrap_or(1980),
            t.month() as u8,
            t.day() as u8,
            t.hour() as u8,
            t.minute() as u8,
            t.second() as u8,
        )
        .unwrap_or_default();
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .last_modified_time(dt)
            .unix_permissions(0o644);
        Ok(Writer { zip: ZipWriter::new_stream(sink), options })
    }

    /// Starts a stored entry and returns the writer for its bytes.
    pub fn start_stored(&mut self, name: &str) -> Result<&mut impl Write, Error> {
        self.zip
            .start_file(name, self.options.large_file(true))
            .map_err(|e| Error::Package(e.to_string()))?;
        Ok(&mut self.zip)
    }

    /// Adds a small entry.
    pub fn add(&mut self, name: &str, bytes: &[u8]) -> Result<(), Error> {
        self.zip.start_file(name, self.options).map_err(|e| Error::Package(e.to_string()))?;
        self.zip.write_all(bytes)?;
        Ok(())
    }

    /// Writes the central directory and completes the file.
    pub fn finish(self) -> Result<(), Error> {
        let sink = self.zip.finish().map_err(|e| Error::Package(e.to_string()))?.into_inner();
        sink.finish()?;
        Ok(())
    }
}

/// An opened package: the zip over the plaintext, entries checked.
pub struct Package {
    archive: ZipArchive<BufReader<File>>,
    /// Whether it was encrypted.
    pub encrypted: bool,
}

impl Package {
    /// Opens `path`: a zip, or an age file (then `decryption` is needed; the plaintext goes to
    /// an anonymous temporary file that disappears when the package is dropped).
    pub fn open(path: &Path, decryption: Option<&Decryption>) -> Result<Package, Error> {
        let mut f = File::open(path)?;
        let mut magic = [0u8; 22];
        let n = read_up_to(&mut f, &mut magic)?;
        f.seek(SeekFrom::Start(0))?;
        let (file, encrypted) = if magic[..n] == *AGE_MAGIC {
            let d = decryption.ok_or_else(|| {
                Error::Package(
                    "the package is encrypted: give --passphrase-file or --identity \
                     (暗号化されています。パスフレーズか鍵を指定してください)"
                        .into(),
                )
            })?;
            let dec = age::Decryptor::new_buffered(BufReader::new(f))
                .map_err(|e| Error::Package(format!("not a readable age file: {e}")))?;
            let scrypt;
            let ids: Vec<&dyn age::Identity> = match d {
                Decryption::Passphrase(p) => {
                    scrypt = age::scrypt::Identity::new(p.clone());
                    vec![&scrypt as &dyn age::Identity]
                }
                Decryption::Identities(ids) => {
                    ids.iter().map(|i| i as &dyn age::Identity).collect()
                }
            };
            let mut r = dec.decrypt(ids.into_iter()).map_err(|e| {
                Error::Package(format!("cannot decrypt (wrong passphrase or key?): {e}"))
            })?;
            let mut tmp = tempfile::tempfile()?;
            std::io::copy(&mut r, &mut tmp)
                .map_err(|e| Error::Package(format!("the encrypted package is damaged: {e}")))?;
            tmp.seek(SeekFrom::Start(0))?;
            (tmp, true)
        } else {
            (f, false)
        };
        let archive = ZipArchive::new(BufReader::with_capacity(1 << 20, file))
            .map_err(|e| Error::Package(format!("not a readable zip archive: {e}")))?;
        let mut seen = Vec::new();
        if archive.len() > ENTRIES.len() {
            return Err(Error::Package(format!(
                "{} entries; a package has at most 5",
                archive.len()
            )));
        }
        let mut p = Package { archive, encrypted };
        for i in 0..p.archive.len() {
            let e =
                p.archive.by_index_raw(i).map_err(|e| Error::Package(format!("entry {i}: {e}")))?;
            let name = e
                .name()
                .map_err(|e| Error::Package(format!("entry {i} has an unreadable name: {e}")))?
                .into_owned();
            let limit =
                ENTRIES.iter().find(|(n, _)| *n == name).map(|(_, l)| *l).ok_or_else(|| {
                    Error::Package(format!("unexpected entry {name:?} in the package"))
                })?;
            if seen.contains(&name) {
                return Err(Error::Package(format!("entry {name:?} appears twice")));
            }
            if e.compression() != CompressionMethod::Stored {
                return Err(Error::Package(format!(
                    "entry {name:?} is compressed; entries are stored"
                )));
            }
            if e.size() != e.compressed_size() || e.size() > limit {
                return Err(Error::Package(format!("entry {name:?} has an impossible size")));
            }
            seen.push(name);
        }
        for need in [VIDEO, MANIFEST, SIGNATURE] {
            if !seen.iter().any(|n| n == need) {
                return Err(Error::Package(format!("the package has no {need}")));
            }
        }
        Ok(p)
    }

    /// Whether the package holds an entry.
    pub fn has(&self, name: &str) -> bool {
        self.archive.index_for_name(name).is_some()
    }

    /// Reads a small entry whole.
    pub fn read_small(&mut self, name: &str) -> Result<Vec<u8>, Error> {
        let mut e =
            self.archive.by_name(name).map_err(|e| Error::Package(format!("{name}: {e}")))?;
        let mut v = Vec::with_capacity(e.size().min(MAX_MANIFEST_BYTES) as usize);
        e.read_to_end(&mut v).map_err(|e| Error::Package(format!("{name} is damaged: {e}")))?;
        Ok(v)
    }

    /// A streaming reader of an entry (its CRC is checked at the end).
    pub fn reader(&mut self, name: &str) -> Result<(impl Read + '_, u64), Error> {
        let e = self.archive.by_name(name).map_err(|e| Error::Package(format!("{name}: {e}")))?;
        let n = e.size();
        Ok((e, n))
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// `README.txt`: what the package is and how to check it, Japanese first.
pub fn readme(m: &Manifest) -> String {
    format!(
        "証拠パッケージ {id}\n\
         カメラ: {cam}\n\
         要求範囲: {rf} 〜 {rt}\n\
         提供範囲: {df} 〜 {dt}（直前のキーフレームから）\n\
         作成: {created}（{node}）\n\n\
         確認方法: 市が公開するノード公開鍵を用いて、次を実行してください。\n  \
         mimamori verify このファイル.zip --public-key <公開鍵>\n\
         video.mp4 は ONVIF Export File Format に従い、市の証明書（city-cert.pem）で署名されています。\n\n\
         Evidence package {id}\n\
         Camera: {cam}\n\
         Requested: {rf} to {rt}\n\
         Delivered: {df} to {dt} (from the keyframe before)\n\
         Created: {created} ({node})\n\n\
         To check it, with the node public key the city publishes:\n  \
         mimamori verify THIS.zip --public-key <key>\n\
         video.mp4 follows the ONVIF Export File Format, signed with the city's certificate \
         (city-cert.pem).\n",
        id = m.package_id,
        cam = m.camera.code,
        rf = m.requested.from,
        rt = m.requested.to,
        df = m.delivered.from,
        dt = m.delivered.to,
        created = m.created,
        node = m.node.id,
    )
}
