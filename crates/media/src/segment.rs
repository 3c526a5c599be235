//! The segment file: one ~minute of one camera, every chunk sealed with AES-256-GCM (`ring`) in
//! the STREAM construction (Hoang–Reyhanitabar–Rogaway–Vizár) under a key derived for this
//! segment from the (camera, JST day) data key. See `docs/storage.md` for the layout and
//! invariants.
//!
//! Why `ring` and a hand-written STREAM nonce: `ring`'s AES-GCM (BoringSSL's assembly, VAES and
//! VPCLMULQDQ where present) seals 4–5 GB/s per core here against 1.2 GB/s for the pure-Rust
//! XChaCha20-Poly1305, and sealing every frame is the recorder's largest cost. `ring` has no
//! STREAM type; the construction is only the nonce layout `0⁷ ‖ BE32(position) ‖ last-flag`,
//! written out in [`chunk_nonce`]. Nonces never repeat under one key because every segment's key
//! is derived from the day key and a random per-segment salt.
//!
//! ```text
//! "MMSEG\0\x01\0" | u32 header length | header JSON (plaintext: camera, day, seq, key id, salt)
//! then chunks: u32 ciphertext length | ciphertext (plaintext kind byte + body, 16-byte tag)
//!   chunk 0        kind 0: codec parameters (SPS/PPS inside: encrypted)
//!   chunk 1..=n    kind 1: frame — pts i64 | wall_ms i64 | flags u8 | access unit
//!   chunk n+1      kind 2: trailer — frame count, Merkle root, chain link, frame hashes (the STREAM "last" chunk)
//! ```
//! Every chunk's associated data is BLAKE3 of the header, so chunks cannot move between files;
//! the STREAM position binds their order; the "last" flag of the trailer makes truncation
//! detectable. A file without its trailer is an open (or crashed) segment: every whole chunk
//! before the tear still decrypts and authenticates, so it can be recovered.

use crate::Error;
use crate::chain::LinkInput;
use crate::frame::{Frame, Leaf, segment_root};
use crate::keys::DataKey;
use crate::merkle::Hash;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::Path;

/// File magic.
pub const MAGIC: &[u8; 8] = b"MMSEG\x00\x01\x00";
const KIND_PARAMS: u8 = 0;
const KIND_FRAME: u8 = 1;
const KIND_TRAILER: u8 = 2;
/// Largest chunk accepted when reading (a frame of 32 MiB is far beyond any camera).
pub const MAX_CHUNK: u32 = 32 << 20;

/// The plaintext header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentHeader {
    /// Format version (1).
    pub version: u32,
    /// Camera code.
    pub camera: String,
    /// JST day, `YYYY-MM-DD`: the data key's day.
    pub day: String,
    /// Sequence number within the camera.
    pub seq: u64,
    /// Id of the day key that seals it.
    pub key_id: String,
    /// 16 random bytes, hex: this segment's key is derived from the day key and this salt.
    pub salt: String,
    /// Media clock rate (90000 for video over RTP).
    pub clock_rate: u32,
    /// When the file was created, UTC ms.
    pub created_ms: i64,
}

/// Codec parameters: the MP4 sample entry needs them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodecParams {
    /// RFC 6381 codec string (`avc1.640028`, `hvc1…`).
    pub rfc6381: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The decoder configuration record (`avcC` / `hvcC` box body), hex.
    pub extra_data: String,
}

/// The trailer of a sealed segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trailer {
    /// Frames in the segment.
    pub frames: u64,
    /// Merkle root over the frames' leaves.
    #[serde(with = "crate::frame::hex32")]
    pub root: Hash,
    /// What the chain link binds.
    pub link_input: LinkInput,
    /// The chain link.
    #[serde(with = "crate::frame::hex32")]
    pub link: Hash,
    /// Each frame's [`crate::frame::frame_hash`], in order, as one hex string (64 digits per
    /// frame): computed while recording, kept so an export need not hash every frame again —
    /// each frame chunk's AES-GCM tag already proves its bytes are the ones hashed here, and the
    /// leaves built from these hashes must still give [`Trailer::root`]. Absent in segments
    /// sealed before it was added; those are hashed on export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_hashes: Option<String>,
}

impl Trailer {
    /// The stored frame hashes, when present and one per frame.
    pub fn stored_frame_hashes(&self) -> Option<Vec<Hash>> {
        let hex_text = self.frame_hashes.as_deref()?;
        if hex_text.len() as u64 != self.frames * 64 {
            return None;
        }
        hex_text
            .as_bytes()
            .chunks(64)
            .map(|c| {
                let mut h = [0u8; 32];
                hex::decode_to_slice(c, &mut h).ok()?;
                Some(h)
            })
            .collect()
    }
}

/// The segment's own AES-256-GCM key: `BLAKE3-derive_key("mimamori segment key v1", day key ‖
/// salt)`.
struct Stream(LessSafeKey);

fn stream(key: &DataKey, salt_hex: &str) -> Result<Stream, Error> {
    let mut salt = [0u8; 16];
    hex::decode_to_slice(salt_hex, &mut salt).map_err(|_| Error::Format("segment salt".into()))?;
    let mut material = [0u8; 48];
    material[..32].copy_from_slice(&key.0);
    material[32..].copy_from_slice(&salt);
    let k = blake3::derive_key("mimamori segment key v1", &material);
    let unbound = UnboundKey::new(&AES_256_GCM, &k).map_err(|_| Error::Crypto("segment key"))?;
    Ok(Stream(LessSafeKey::new(unbound)))
}

/// STREAM nonce: seven zero bytes, the chunk position (big-endian u32), and 1 for the last chunk.
pub fn chunk_nonce(position: u32, last: bool) -> [u8; 12] {
    let mut n = [0u8; 12];
    n[7..11].copy_from_slice(&position.to_be_bytes());
    n[11] = u8::from(last);
    n
}

impl Stream {
    /// Seals `buf[start..]` in place and appends the 16-byte tag.
    fn seal(
        &self,
        position: u32,
        last: bool,
        aad: &[u8; 32],
        buf: &mut Vec<u8>,
        start: usize,
    ) -> Result<(), Error> {
        let tag = self
            .0
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(chunk_nonce(position, last)),
                Aad::from(aad),
                &mut buf[start..],
            )
            .map_err(|_| Error::Crypto("sealing a chunk"))?;
        buf.extend_from_slice(tag.as_ref());
        Ok(())
    }

    /// Opens ciphertext‖tag in place; returns the plaintext length.
    fn open(&self, position: u32, last: bool, aad: &[u8; 32], buf: &mut [u8]) -> Option<usize> {
        self.0
            .open_in_place(
                Nonce::assume_unique_for_key(chunk_nonce(position, last)),
                Aad::from(aad),
                buf,
            )
            .ok()
            .map(|p| p.len())
    }
}

fn header_aad(header_bytes: &[u8]) -> [u8; 32] {
    *blake3::Hasher::new_derive_key("mimamori segment header v1")
        .update(header_bytes)
        .finalize()
        .as_bytes()
}

/// Sealed chunks are collected here and written in blocks of about this size. A chunk that would
/// take the buffer past it is written after what is already there, not appended to it: the
/// buffer then never grows past one block or one frame, whichever is larger (64 KiB: 8 writes a
/// second for a 4 Mbit/s camera; a keyframe arriving
/// on a nearly full 256 KiB buffer used to double its capacity; with many cameras that was most
/// of the recorder's memory per stream — issue 24, item 1).
const WRITE_BLOCK: usize = 64 * 1024;

/// Writes one segment. Chunks are sealed in place inside the write buffer, so each frame is
/// copied once (into the buffer) before the kernel takes it.
pub struct SegmentWriter {
    file: File,
    pending: Vec<u8>,
    stream: Stream,
    aad: [u8; 32],
    position: u32,
    leaves: Vec<Leaf>,
    bytes: u64,
    header: SegmentHeader,
}

/// What a sealed segment reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// The trailer written.
    pub trailer: Trailer,
    /// The frames' leaves, in order.
    pub leaves: Vec<Leaf>,
    /// File size.
    pub bytes: u64,
}

impl SegmentWriter {
    /// Creates the file (which must not exist) and writes the header and codec parameters.
    pub fn create(
        path: &Path,
        header: SegmentHeader,
        key: &DataKey,
        params: &CodecParams,
    ) -> Result<Self, Error> {
        let stream = stream(key, &header.salt)?;
        let file = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
        let hb = serde_json::to_vec(&header).map_err(|e| Error::Format(e.to_string()))?;
        let mut pending = Vec::with_capacity(WRITE_BLOCK);
        pending.extend_from_slice(MAGIC);
        pending.extend_from_slice(&(hb.len() as u32).to_le_bytes());
        pending.extend_from_slice(&hb);
        let mut w = SegmentWriter {
            file,
            pending,
            stream,
            aad: header_aad(&hb),
            position: 0,
            leaves: Vec::new(),
            bytes: (MAGIC.len() + 4 + hb.len()) as u64,
            header,
        };
        let pj = serde_json::to_vec(params).map_err(|e| Error::Format(e.to_string()))?;
        let start = w.begin_chunk(KIND_PARAMS);
        w.pending.extend_from_slice(&pj);
        w.seal_chunk(start, false)?;
        Ok(w)
    }

    /// Starts a chunk in the buffer: a length placeholder and the kind byte. Returns where the
    /// chunk's plaintext starts.
    fn begin_chunk(&mut self, kind: u8) -> usize {
        self.pending.extend_from_slice(&[0; 4]);
        let start = self.pending.len();
        self.pending.push(kind);
        start
    }

    /// Seals the chunk whose plaintext starts at `start`, in place, and fills in its length.
    fn seal_chunk(&mut self, start: usize, last: bool) -> Result<(), Error> {
        self.stream.seal(self.position, last, &self.aad, &mut self.pending, start)?;
        let len = self.pending.len() - start;
        self.pending[start - 4..start].copy_from_slice(&(len as u32).to_le_bytes());
        self.bytes += 4 + len as u64;
        self.position =
            self.position.checked_add(1).ok_or(Error::Format("too many chunks".into()))?;
        if self.pending.len() >= WRITE_BLOCK {
            self.write_pending()?;
        }
        Ok(())
    }

    fn write_pending(&mut self) -> Result<(), Error> {
        self.file.write_all(&self.pending)?;
        self.pending.clear();
        Ok(())
    }

    /// Hashes, seals and appends a frame. Returns its leaf.
    pub fn append(&mut self, frame: &Frame) -> Result<Leaf, Error> {
        let leaf = Leaf::of(frame);
        // Length, kind, pts, wall time, keyframe flag, data, tag.
        let chunk = 4 + 1 + 8 + 8 + 1 + frame.data.len() + 16;
        if !self.pending.is_empty() && self.pending.len() + chunk > WRITE_BLOCK {
            self.write_pending()?;
        }
        let start = self.begin_chunk(KIND_FRAME);
        self.pending.extend_from_slice(&frame.pts.to_le_bytes());
        self.pending.extend_from_slice(&frame.wall_ms.to_le_bytes());
        self.pending.push(u8::from(frame.keyframe));
        self.pending.extend_from_slice(&frame.data);
        self.seal_chunk(start, false)?;
        self.leaves.push(leaf);
        Ok(leaf)
    }

    /// Frames appended so far.
    pub fn leaves(&self) -> &[Leaf] {
        &self.leaves
    }

    /// Bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The header.
    pub fn header(&self) -> &SegmentHeader {
        &self.header
    }

    /// Pushes buffered chunks to the OS (no fsync): a killed process then loses nothing the OS
    /// holds.
    pub fn flush(&mut self) -> Result<(), Error> {
        self.write_pending()
    }

    /// Pushes buffered chunks to the OS and the disk (data only).
    pub fn sync(&mut self) -> Result<(), Error> {
        self.write_pending()?;
        self.file.sync_data()?;
        Ok(())
    }

    /// Writes the trailer (the chain link over this segment's root) and fsyncs the file.
    /// `link_input` carries everything but the root and frame count, which this fills in.
    pub fn finish(mut self, mut link_input: LinkInput) -> Result<Sealed, Error> {
        let root = segment_root(&self.leaves);
        link_input.root = root;
        link_input.frames = self.leaves.len() as u64;
        let link = link_input.link();
        let mut frame_hashes = String::with_capacity(self.leaves.len() * 64);
        for l in &self.leaves {
            frame_hashes.push_str(&hex::encode(l.hash));
        }
        let trailer = Trailer {
            frames: self.leaves.len() as u64,
            root,
            link_input,
            link,
            frame_hashes: Some(frame_hashes),
        };
        let tj = serde_json::to_vec(&trailer).map_err(|e| Error::Format(e.to_string()))?;
        let start = self.begin_chunk(KIND_TRAILER);
        self.pending.extend_from_slice(&tj);
        self.seal_chunk(start, true)?;
        self.write_pending()?;
        self.file.sync_all()?;
        Ok(Sealed { trailer, leaves: self.leaves, bytes: self.bytes })
    }
}

/// A segment read back.
#[derive(Debug, Clone)]
pub struct SegmentContents {
    /// Header.
    pub header: SegmentHeader,
    /// Codec parameters.
    pub params: Option<CodecParams>,
    /// Frames in order.
    pub frames: Vec<Frame>,
    /// The trailer, if the segment was sealed.
    pub trailer: Option<Trailer>,
    /// Why reading stopped early, if it did (a torn or corrupt chunk).
    pub torn: Option<String>,
    /// Bytes from the start of the file to the end of the last chunk that authenticated.
    pub valid_len: u64,
    /// Chunks that authenticated (parameters, frames and trailer).
    pub chunks: u32,
}

impl SegmentContents {
    /// The frames' leaves, each frame hashed.
    pub fn leaves(&self) -> Vec<Leaf> {
        self.frames.iter().map(Leaf::of).collect()
    }

    /// The frames' leaves with the frame hashes the trailer keeps, where it keeps one per frame
    /// (every frame authenticated by its chunk's tag); otherwise [`SegmentContents::leaves`].
    /// The caller still checks the leaves against the trailer's root.
    pub fn sealed_leaves(&self) -> Vec<Leaf> {
        let stored = self.trailer.as_ref().and_then(Trailer::stored_frame_hashes);
        match stored {
            Some(hashes) if hashes.len() == self.frames.len() => self
                .frames
                .iter()
                .zip(hashes)
                .map(|(f, hash)| Leaf {
                    pts: f.pts,
                    wall_ms: f.wall_ms,
                    keyframe: f.keyframe,
                    hash,
                })
                .collect(),
            _ => self.leaves(),
        }
    }
}

/// Reads only the plaintext header.
pub fn read_header(path: &Path) -> Result<SegmentHeader, Error> {
    let mut r = BufReader::new(File::open(path)?);
    read_header_from(&mut r).map(|(h, _)| h)
}

fn read_header_from(r: &mut impl Read) -> Result<(SegmentHeader, Vec<u8>), Error> {
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic).map_err(|_| Error::Format("not a segment file (too short)".into()))?;
    if &magic != MAGIC {
        return Err(Error::Format("not a segment file (bad magic)".into()));
    }
    let mut len = [0u8; 4];
    r.read_exact(&mut len)?;
    let len = u32::from_le_bytes(len);
    if len > 64 * 1024 {
        return Err(Error::Format("header too large".into()));
    }
    let mut hb = vec![0u8; len as usize];
    r.read_exact(&mut hb)?;
    let h: SegmentHeader =
        serde_json::from_slice(&hb).map_err(|e| Error::Format(format!("header: {e}")))?;
    Ok((h, hb))
}

/// Reads a segment with its day key. A sealed segment must authenticate to the end; an open or
/// crashed one yields every whole frame before the tear, with `torn` saying why it stopped.
/// Every frame is hashed again and the leaves must give the trailer's root.
pub fn read(path: &Path, key: &DataKey) -> Result<SegmentContents, Error> {
    read_checking(path, key, Leaves::Rehash)
}

/// [`read`] for an export (issue 17, item 7): a sealed segment's root is checked against the
/// frame hashes its trailer keeps (computed while recording) instead of hashing every frame
/// again. Each frame's chunk and the trailer authenticate under the segment key, so a frame
/// whose bytes are not the ones hashed does not decrypt — only the key's holder could make
/// one, and that holder could reseal the trailer too, whichever way the root is checked.
/// Segments sealed before trailers kept the hashes are hashed as by [`read`].
pub fn read_sealed(path: &Path, key: &DataKey) -> Result<SegmentContents, Error> {
    read_checking(path, key, Leaves::Sealed)
}

/// Which leaves a sealed segment's root is checked with.
#[derive(Clone, Copy)]
enum Leaves {
    /// Every frame hashed again.
    Rehash,
    /// The frame hashes the trailer keeps, where it keeps one per frame.
    Sealed,
}

fn read_checking(path: &Path, key: &DataKey, leaves: Leaves) -> Result<SegmentContents, Error> {
    let mut r = BufReader::with_capacity(256 * 1024, File::open(path)?);
    let file_len = r.get_ref().metadata()?.len();
    let (header, hb) = read_header_from(&mut r)?;
    let s = stream(key, &header.salt)?;
    let aad = header_aad(&hb);
    let mut out = SegmentContents {
        header,
        params: None,
        frames: Vec::new(),
        trailer: None,
        torn: None,
        valid_len: (MAGIC.len() + 4 + hb.len()) as u64,
        chunks: 0,
    };
    let mut position = 0u32;
    let mut buf = Vec::new();
    loop {
        let mut len = [0u8; 4];
        match r.read_exact(&mut len) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                if out.trailer.is_none() {
                    out.torn = Some("the segment has no trailer (it was not sealed)".into());
                }
                break;
            }
            Err(e) => return Err(e.into()),
        }
        if out.trailer.is_some() {
            out.torn = Some("data after the trailer".into());
            break;
        }
        let len = u32::from_le_bytes(len);
        if !(17..=MAX_CHUNK).contains(&len) {
            out.torn = Some(format!("chunk {position} has an impossible length {len}"));
            break;
        }
        buf.resize(len as usize, 0);
        if r.read_exact(&mut buf).is_err() {
            out.torn = Some(format!("chunk {position} is cut short"));
            break;
        }
        // Only the chunk that ends the file can be the STREAM's last one; keep its ciphertext in
        // case it is not (a torn file ends in a frame chunk).
        let at_end = out.valid_len + 4 + u64::from(len) == file_len;
        let sealed = if at_end { Some(buf.clone()) } else { None };
        let (last, plain_len) = match s.open(position, at_end, &aad, &mut buf) {
            Some(n) => (at_end, n),
            None => match sealed {
                Some(mut copy) => match s.open(position, false, &aad, &mut copy) {
                    Some(n) => {
                        buf = copy;
                        (false, n)
                    }
                    None => {
                        out.torn = Some(format!(
                            "chunk {position} does not authenticate (altered, or another key)"
                        ));
                        break;
                    }
                },
                None => {
                    out.torn = Some(format!(
                        "chunk {position} does not authenticate (altered, or another key)"
                    ));
                    break;
                }
            },
        };
        let (kind, body) =
            buf[..plain_len].split_first().ok_or_else(|| Error::Format("empty chunk".into()))?;
        match (*kind, last, position) {
            (KIND_PARAMS, false, 0) => {
                out.params = Some(
                    serde_json::from_slice(body)
                        .map_err(|e| Error::Format(format!("params: {e}")))?,
                );
            }
            (KIND_FRAME, false, p) if p > 0 && body.len() >= 17 => {
                out.frames.push(frame_from(body)?);
            }
            (KIND_TRAILER, true, _) => {
                out.trailer = Some(
                    serde_json::from_slice(body)
                        .map_err(|e| Error::Format(format!("trailer: {e}")))?,
                );
            }
            _ => {
                out.torn = Some(format!("chunk {position} is out of place"));
                break;
            }
        }
        position += 1;
        out.chunks = position;
        out.valid_len += 4 + u64::from(len);
    }
    if let Some(t) = &out.trailer {
        let root = match leaves {
            Leaves::Rehash => segment_root(&out.leaves()),
            Leaves::Sealed => segment_root(&out.sealed_leaves()),
        };
        if t.root != root || t.frames != out.frames.len() as u64 || t.link_input.link() != t.link {
            return Err(Error::Format("the trailer does not match the frames".into()));
        }
    }
    Ok(out)
}

/// A frame chunk's plaintext body: pts, wall time, flags, access unit.
fn frame_from(body: &[u8]) -> Result<Frame, Error> {
    let field = |r: std::ops::Range<usize>| -> Result<[u8; 8], Error> {
        body.get(r).and_then(|b| b.try_into().ok()).ok_or(Error::Format("frame chunk".into()))
    };
    Ok(Frame {
        pts: i64::from_le_bytes(field(0..8)?),
        wall_ms: i64::from_le_bytes(field(8..16)?),
        keyframe: body.get(16) == Some(&1),
        data: body.get(17..).ok_or(Error::Format("frame chunk".into()))?.to_vec(),
    })
}

/// Where a run of frames sits in a segment file: the recorder's index knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRun {
    /// The first frame's number in the segment (0 = the first frame; chunk position + 1).
    pub first: u32,
    /// Byte offset of the first frame's chunk (its length prefix).
    pub offset: u64,
    /// How many frames.
    pub count: u32,
}

/// Reads the codec parameters and the frames of `run` only, seeking past the others — for
/// playback (issue 20), which needs seconds of a minute's segment, not all of it. Each chunk
/// authenticates on its own (key, header, position), so a frame read here is exactly the frame
/// recorded; the segment's completeness (its trailer) is the evidence path's concern, not
/// checked here.
pub fn read_frames(
    path: &Path,
    key: &DataKey,
    run: FrameRun,
) -> Result<(CodecParams, Vec<Frame>), Error> {
    use std::io::{Seek, SeekFrom};
    let mut r = BufReader::with_capacity(256 * 1024, File::open(path)?);
    let (header, hb) = read_header_from(&mut r)?;
    let s = stream(key, &header.salt)?;
    let aad = header_aad(&hb);
    let mut buf = Vec::new();
    let mut chunk = |r: &mut BufReader<File>, position: u32| -> Result<Vec<u8>, Error> {
        let mut len = [0u8; 4];
        r.read_exact(&mut len)?;
        let len = u32::from_le_bytes(len);
        if !(17..=MAX_CHUNK).contains(&len) {
            return Err(Error::Format(format!("chunk {position} has an impossible length {len}")));
        }
        buf.resize(len as usize, 0);
        r.read_exact(&mut buf)?;
        let n = s.open(position, false, &aad, &mut buf).ok_or_else(|| {
            Error::Format(format!(
                "chunk {position} does not authenticate (altered, or another key)"
            ))
        })?;
        Ok(buf[..n].to_vec())
    };
    let p = chunk(&mut r, 0)?;
    let params: CodecParams = match p.split_first() {
        Some((&KIND_PARAMS, body)) => {
            serde_json::from_slice(body).map_err(|e| Error::Format(format!("params: {e}")))?
        }
        _ => return Err(Error::Format("chunk 0 is not the codec parameters".into())),
    };
    r.seek(SeekFrom::Start(run.offset))?;
    let mut frames = Vec::with_capacity(run.count as usize);
    for i in 0..run.count {
        let position = run.first + 1 + i;
        let c = chunk(&mut r, position)?;
        match c.split_first() {
            Some((&KIND_FRAME, body)) => frames.push(frame_from(body)?),
            _ => return Err(Error::Format(format!("chunk {position} is not a frame"))),
        }
    }
    Ok((params, frames))
}

/// Reads a segment's codec parameters only (its first chunk), authenticated like every chunk.
pub fn read_params(path: &Path, key: &DataKey) -> Result<CodecParams, Error> {
    read_frames(path, key, FrameRun { first: 0, offset: 0, count: 0 }).map(|(p, _)| p)
}

impl SegmentWriter {
    /// Reopens an unsealed (torn) segment to seal it: truncates the file after the last chunk
    /// that authenticates and continues the STREAM from there. Fails for a sealed segment or one
    /// without codec parameters.
    pub fn resume(path: &Path, key: &DataKey) -> Result<(SegmentWriter, SegmentContents), Error> {
        let contents = read(path, key)?;
        if contents.trailer.is_some() {
            return Err(Error::Format("the segment is already sealed".into()));
        }
        if contents.params.is_none() {
            return Err(Error::Format("the segment has no codec parameters".into()));
        }
        let mut r = BufReader::new(File::open(path)?);
        let (_, hb) = read_header_from(&mut r)?;
        let stream = stream(key, &contents.header.salt)?;
        let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
        file.set_len(contents.valid_len)?;
        std::io::Seek::seek(&mut file, std::io::SeekFrom::End(0))?;
        let w = SegmentWriter {
            file,
            pending: Vec::with_capacity(WRITE_BLOCK),
            stream,
            aad: header_aad(&hb),
            position: contents.chunks,
            leaves: contents.leaves(),
            bytes: contents.valid_len,
            header: contents.header.clone(),
        };
        Ok((w, contents))
    }
}

/// A fresh random segment salt, hex.
pub fn new_salt() -> Result<String, Error> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| Error::Random(e.to_string()))?;
    Ok(hex::encode(b))
}
