//! The export MP4: ISO/IEC 14496-12 with the ONVIF Export File Format additions, written by hand
//! (no maintained Rust muxer writes the `meta/suep/ipro/sinf` boxes). Layout:
//!
//! ```text
//! ftyp  moov(mvhd trak(tkhd mdia(mdhd hdlr minf(vmhd dinf stbl(stsd stts stss stsc stsz co64)))))
//! mdat  the recorded access units, byte for byte (never re-encoded, ASA-3.3b)
//! meta  hdlr suep ipro(sinf(cstb schm('oeff' 1.0) schi(sibo cert)))
//! ```
//!
//! The signature (`sibo`) is RSASSA-PSS / SHA-256 / MGF1-SHA-256 / salt 20 over the whole file
//! with the `sibo` payload set to zeros, as the specification's Annex A describes.

use crate::Error;

/// Seconds from 1904-01-01 (ISO BMFF epoch) to 1970-01-01.
const EPOCH_1904: u64 = 2_082_844_800;
/// 100 ns intervals from 1601-01-01 to 1970-01-01 (`cstb` start time).
const EPOCH_1601_100NS: u64 = 116_444_736_000_000_000;

/// A box under construction: appends its size when closed.
pub struct BoxWriter<'a> {
    out: &'a mut Vec<u8>,
    start: usize,
}

impl<'a> BoxWriter<'a> {
    /// Opens a box of `kind`.
    pub fn open(out: &'a mut Vec<u8>, kind: &[u8; 4]) -> Self {
        let start = out.len();
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(kind);
        BoxWriter { out, start }
    }

    /// Opens a full box (version, flags).
    pub fn full(out: &'a mut Vec<u8>, kind: &[u8; 4], version: u8, flags: u32) -> Self {
        let b = Self::open(out, kind);
        b.out.push(version);
        b.out.extend_from_slice(&flags.to_be_bytes()[1..]);
        b
    }

    /// The buffer, to write the body.
    pub fn body(&mut self) -> &mut Vec<u8> {
        self.out
    }

    /// Closes the box, filling in its size.
    pub fn close(self) {
        let size = (self.out.len() - self.start) as u32;
        self.out[self.start..self.start + 4].copy_from_slice(&size.to_be_bytes());
    }
}

pub(crate) fn u16b(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_be_bytes());
}
pub(crate) fn u32b(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_be_bytes());
}
pub(crate) fn u64b(v: &mut Vec<u8>, x: u64) {
    v.extend_from_slice(&x.to_be_bytes());
}
fn cstr(v: &mut Vec<u8>, s: &str) {
    v.extend_from_slice(s.as_bytes());
    v.push(0);
}

/// What the export file says about itself (ONVIF `suep`, `cstb`).
#[derive(Debug, Clone)]
pub struct ExportInfo {
    /// Exporting unit name (the recorder node).
    pub unit_name: String,
    /// Exporting unit URL.
    pub unit_url: String,
    /// Export time, UTC ms.
    pub export_ms: i64,
    /// Operator (account and name).
    pub operator: String,
    /// Source camera name.
    pub source_name: String,
    /// Source camera URL (no credentials).
    pub source_url: String,
    /// Wall time of the first sample, UTC ms (`cstb`).
    pub start_ms: i64,
}

/// One sample description (`stsd` entry): how to decode the samples of the chunks that name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    /// `avc1` or `hvc1`.
    pub sample_entry: [u8; 4],
    /// `avcC` or `hvcC` body.
    pub config: Vec<u8>,
    /// Width.
    pub width: u16,
    /// Height.
    pub height: u16,
}

/// A run of consecutive samples stored together (one `stsc`/`co64` chunk), all decoded with one
/// sample description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk {
    /// How many samples.
    pub samples: u32,
    /// The 1-based index of its sample description.
    pub description: u32,
}

/// The video track.
#[derive(Debug, Clone)]
pub struct Track {
    /// The sample descriptions: one, or one per set of codec parameters the camera sent in the
    /// range (a camera that starts masking at the source, or changes resolution, changes them at
    /// a keyframe; ISO/IEC 14496-12 §8.5.2 lets one track carry several, each chunk naming its
    /// own, so the samples stay byte for byte as recorded).
    pub descriptions: Vec<Description>,
    /// The chunks, in order, back to back in one `mdat`; empty for a fragmented head.
    pub chunks: Vec<Chunk>,
    /// Sample sizes.
    pub sizes: Vec<u32>,
    /// Sample durations in 90 kHz units.
    pub durations: Vec<u32>,
    /// 1-based indices of sync samples.
    pub sync: Vec<u32>,
}

impl Track {
    /// A track of one sample description whose samples are one chunk.
    pub fn single(
        description: Description,
        sizes: Vec<u32>,
        durations: Vec<u32>,
        sync: Vec<u32>,
    ) -> Track {
        let chunks = if sizes.is_empty() {
            Vec::new()
        } else {
            vec![Chunk { samples: sizes.len() as u32, description: 1 }]
        };
        Track { descriptions: vec![description], chunks, sizes, durations, sync }
    }

    fn first(&self) -> Option<&Description> {
        self.descriptions.first()
    }

    fn brand(&self) -> [u8; 4] {
        self.first().map_or(*b"avc1", |d| d.sample_entry)
    }
}

fn iso_time(ms: i64) -> u64 {
    (ms.max(0) as u64) / 1000 + EPOCH_1904
}

/// The longest sample duration taken from the media clock (10 s at 90 kHz); a larger or
/// non-positive step (a discontinuity the recorder cut at) gets the previous duration instead.
pub const MAX_STEP: i64 = 900_000;
/// The duration of a frame with nothing to go by (25 fps).
pub const DEFAULT_DURATION: u32 = 3_600;

/// Sample durations from presentation times: the step to the next frame; the last frame (and any
/// step outside 1..=[`MAX_STEP`]) repeats the previous duration. The verifier applies the same
/// rule to the manifest's times.
pub fn durations(pts: &[i64]) -> Vec<u32> {
    let mut out = Vec::with_capacity(pts.len());
    let mut prev = DEFAULT_DURATION;
    for i in 0..pts.len() {
        let d = match pts.get(i + 1) {
            Some(next) => {
                let step = next.saturating_sub(pts[i]);
                if (1..=MAX_STEP).contains(&step) { step as u32 } else { prev }
            }
            None => prev,
        };
        out.push(d);
        prev = d;
    }
    out
}

/// `ftyp` and `moov` for `track`, with the sample data starting right after (a 16-byte `mdat`
/// header follows the returned bytes).
pub fn head(track: &Track, info: &ExportInfo) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024 + track.sizes.len() * 4);
    let mut b = BoxWriter::open(&mut out, b"ftyp");
    b.body().extend_from_slice(b"isom");
    u32b(b.body(), 0x200);
    for brand in [b"isom", b"iso2", &track.brand(), b"mp41"] {
        b.body().extend_from_slice(brand);
    }
    b.close();
    let duration_90k: u64 = track.durations.iter().map(|d| u64::from(*d)).sum();
    let duration_ms = duration_90k / 90;
    // creation_time is when the first frame was captured, not when it was exported (issue 17
    // item 3): players show it as the recording's date. The export time is in `suep`.
    let t = iso_time(info.start_ms);
    // moov is built twice: the first pass learns its size, the second writes the right offset.
    let moov_len = moov(track, t, duration_ms, duration_90k, Some(0)).len();
    let data_offset = (out.len() + moov_len + 16) as u64;
    out.extend_from_slice(&moov(track, t, duration_ms, duration_90k, Some(data_offset)));
    out
}

/// `ftyp` (ISO BMFF `iso6`) and `moov` with no samples and an `mvex`: the initialisation segment
/// of a fragmented MP4, whose samples come in `moof`/`mdat` fragments (see [`crate::fmp4`]).
pub fn fragmented_head(track: &Track, start_ms: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024);
    let mut b = BoxWriter::open(&mut out, b"ftyp");
    b.body().extend_from_slice(b"iso6");
    u32b(b.body(), 0);
    for brand in [b"iso6", b"isom", &track.brand(), b"mp41"] {
        b.body().extend_from_slice(brand);
    }
    b.close();
    out.extend_from_slice(&moov(track, iso_time(start_ms), 0, 0, None));
    out
}

/// The movie box. With `data_offset` the samples' tables point into one `mdat` there; without,
/// the tables are empty and an `mvex` says the samples come in fragments.
fn moov(
    track: &Track,
    t: u64,
    duration_ms: u64,
    duration_90k: u64,
    data_offset: Option<u64>,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut moov = BoxWriter::open(&mut out, b"moov");
    {
        let mut b = BoxWriter::full(moov.body(), b"mvhd", 1, 0);
        let v = b.body();
        u64b(v, t);
        u64b(v, t);
        u32b(v, 1000);
        u64b(v, duration_ms);
        u32b(v, 0x0001_0000); // rate 1.0
        u16b(v, 0x0100); // volume 1.0
        v.extend_from_slice(&[0; 10]);
        for m in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
            u32b(v, m);
        }
        v.extend_from_slice(&[0; 24]);
        u32b(v, 2); // next track id
        b.close();
    }
    {
        let mut trak = BoxWriter::open(moov.body(), b"trak");
        {
            let mut b = BoxWriter::full(trak.body(), b"tkhd", 1, 3);
            let v = b.body();
            u64b(v, t);
            u64b(v, t);
            u32b(v, 1); // track id
            u32b(v, 0);
            u64b(v, duration_ms);
            v.extend_from_slice(&[0; 8]);
            u16b(v, 0);
            u16b(v, 0);
            u16b(v, 0);
            u16b(v, 0);
            for m in [0x0001_0000u32, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] {
                u32b(v, m);
            }
            let (w, h) = track.first().map_or((0, 0), |d| (d.width, d.height));
            u32b(v, u32::from(w) << 16);
            u32b(v, u32::from(h) << 16);
            b.close();
        }
        let mut mdia = BoxWriter::open(trak.body(), b"mdia");
        {
            let mut b = BoxWriter::full(mdia.body(), b"mdhd", 1, 0);
            let v = b.body();
            u64b(v, t);
            u64b(v, t);
            u32b(v, 90_000);
            u64b(v, duration_90k);
            u16b(v, 0x55c4); // 'und'
            u16b(v, 0);
            b.close();
        }
        {
            let mut b = BoxWriter::full(mdia.body(), b"hdlr", 0, 0);
            let v = b.body();
            u32b(v, 0);
            v.extend_from_slice(b"vide");
            v.extend_from_slice(&[0; 12]);
            cstr(v, "mimamori video");
            b.close();
        }
        let mut minf = BoxWriter::open(mdia.body(), b"minf");
        {
            let mut b = BoxWriter::full(minf.body(), b"vmhd", 0, 1);
            b.body().extend_from_slice(&[0; 8]);
            b.close();
        }
        {
            let mut dinf = BoxWriter::open(minf.body(), b"dinf");
            let mut dref = BoxWriter::full(dinf.body(), b"dref", 0, 0);
            u32b(dref.body(), 1);
            BoxWriter::full(dref.body(), b"url ", 0, 1).close();
            dref.close();
            dinf.close();
        }
        let mut stbl = BoxWriter::open(minf.body(), b"stbl");
        {
            let mut stsd = BoxWriter::full(stbl.body(), b"stsd", 0, 0);
            u32b(stsd.body(), track.descriptions.len() as u32);
            for d in &track.descriptions {
                let mut e = BoxWriter::open(stsd.body(), &d.sample_entry);
                let v = e.body();
                v.extend_from_slice(&[0; 6]);
                u16b(v, 1); // data reference index
                v.extend_from_slice(&[0; 16]);
                u16b(v, d.width);
                u16b(v, d.height);
                u32b(v, 0x0048_0000);
                u32b(v, 0x0048_0000);
                u32b(v, 0);
                u16b(v, 1); // frame count
                v.extend_from_slice(&[0; 32]); // compressor name
                u16b(v, 0x18);
                u16b(v, 0xffff);
                let cfg = if &d.sample_entry == b"hvc1" { b"hvcC" } else { b"avcC" };
                let mut c = BoxWriter::open(e.body(), cfg);
                c.body().extend_from_slice(&d.config);
                c.close();
                e.close();
            }
            stsd.close();
        }
        {
            // stts: run-length of durations.
            let mut runs: Vec<(u32, u32)> = Vec::new();
            for d in &track.durations {
                match runs.last_mut() {
                    Some((n, dd)) if dd == d => *n += 1,
                    _ => runs.push((1, *d)),
                }
            }
            let mut b = BoxWriter::full(stbl.body(), b"stts", 0, 0);
            u32b(b.body(), runs.len() as u32);
            for (n, d) in runs {
                u32b(b.body(), n);
                u32b(b.body(), d);
            }
            b.close();
        }
        if data_offset.is_some() {
            let mut b = BoxWriter::full(stbl.body(), b"stss", 0, 0);
            u32b(b.body(), track.sync.len() as u32);
            for s in &track.sync {
                u32b(b.body(), *s);
            }
            b.close();
        }
        {
            // stsc: an entry wherever the samples per chunk or the description change.
            let mut b = BoxWriter::full(stbl.body(), b"stsc", 0, 0);
            let chunks: &[Chunk] = if data_offset.is_some() { &track.chunks } else { &[] };
            let mut entries: Vec<(u32, Chunk)> = Vec::new();
            for (i, c) in chunks.iter().enumerate() {
                if entries.last().is_none_or(|(_, last)| last != c) {
                    entries.push((i as u32 + 1, *c));
                }
            }
            u32b(b.body(), entries.len() as u32);
            for (first, c) in entries {
                u32b(b.body(), first);
                u32b(b.body(), c.samples);
                u32b(b.body(), c.description);
            }
            b.close();
        }
        {
            let mut b = BoxWriter::full(stbl.body(), b"stsz", 0, 0);
            u32b(b.body(), 0);
            u32b(b.body(), track.sizes.len() as u32);
            for s in &track.sizes {
                u32b(b.body(), *s);
            }
            b.close();
        }
        {
            // co64: the chunks lie back to back from `data_offset`.
            let mut b = BoxWriter::full(stbl.body(), b"co64", 0, 0);
            match data_offset {
                Some(mut offset) => {
                    u32b(b.body(), track.chunks.len() as u32);
                    let mut at = 0usize;
                    for c in &track.chunks {
                        u64b(b.body(), offset);
                        let n = c.samples as usize;
                        // (A track whose chunks claim more samples than it has is cut
                        // short here, never a panic: the verifier refuses such a file.)
                        offset += track
                            .sizes
                            .get(at..at + n)
                            .unwrap_or_default()
                            .iter()
                            .map(|s| u64::from(*s))
                            .sum::<u64>();
                        at += n;
                    }
                }
                None => u32b(b.body(), 0),
            }
            b.close();
        }
        stbl.close();
        minf.close();
        mdia.close();
        trak.close();
    }
    if data_offset.is_none() {
        // mvex/trex: track 1's samples are in fragments, described there in full.
        let mut mvex = BoxWriter::open(moov.body(), b"mvex");
        let mut b = BoxWriter::full(mvex.body(), b"trex", 0, 0);
        for v in [1u32, 1, 0, 0, 0] {
            u32b(b.body(), v);
        }
        b.close();
        mvex.close();
    }
    moov.close();
    out
}

/// The 16-byte `mdat` header for `len` bytes of samples.
pub fn mdat_header(len: u64) -> [u8; 16] {
    let mut h = [0u8; 16];
    h[..4].copy_from_slice(&1u32.to_be_bytes());
    h[4..8].copy_from_slice(b"mdat");
    h[8..].copy_from_slice(&(len + 16).to_be_bytes());
    h
}

/// The file-level `meta` box, with the `sibo` payload zeroed (`signature_len` bytes). Returns the
/// box and the offset of the `sibo` payload within it.
pub fn meta(info: &ExportInfo, cert_der: &[u8], signature_len: usize) -> (Vec<u8>, usize) {
    let mut out = Vec::new();
    let mut meta = BoxWriter::full(&mut out, b"meta", 0, 0);
    {
        let mut b = BoxWriter::full(meta.body(), b"hdlr", 0, 0);
        u32b(b.body(), 0);
        b.body().extend_from_slice(b"null");
        b.body().extend_from_slice(&[0; 12]);
        cstr(b.body(), "mimamori evidence");
        b.close();
    }
    {
        let mut b = BoxWriter::full(meta.body(), b"suep", 1, 0);
        let v = b.body();
        cstr(v, &info.unit_name);
        cstr(v, &info.unit_url);
        cstr(v, "");
        u64b(v, iso_time(info.export_ms));
        cstr(v, &info.operator);
        u32b(v, 1);
        u16b(v, 1);
        cstr(v, &info.source_name);
        cstr(v, &info.source_url);
        cstr(v, "");
        cstr(v, "");
        b.close();
    }
    let sibo_at;
    {
        let mut ipro = BoxWriter::full(meta.body(), b"ipro", 0, 0);
        u16b(ipro.body(), 1); // protection_count
        let mut sinf = BoxWriter::open(ipro.body(), b"sinf");
        {
            let mut b = BoxWriter::open(sinf.body(), b"cstb");
            u32b(b.body(), 1);
            u32b(b.body(), 1);
            u64b(b.body(), (info.start_ms.max(0) as u64) * 10_000 + EPOCH_1601_100NS);
            b.close();
        }
        {
            let mut b = BoxWriter::full(sinf.body(), b"schm", 0, 0);
            b.body().extend_from_slice(b"oeff");
            u32b(b.body(), 0x0001_0000);
            b.close();
        }
        let mut schi = BoxWriter::open(sinf.body(), b"schi");
        {
            let mut b = BoxWriter::open(schi.body(), b"sibo");
            sibo_at = b.body().len();
            b.body().extend(std::iter::repeat_n(0u8, signature_len));
            b.close();
        }
        {
            let mut b = BoxWriter::open(schi.body(), b"cert");
            b.body().extend_from_slice(cert_der);
            b.close();
        }
        schi.close();
        sinf.close();
        ipro.close();
    }
    meta.close();
    (out, sibo_at)
}

/// One parsed box: kind, payload range in the file (after the header).
#[derive(Debug, Clone, Copy)]
pub struct BoxRef {
    /// Four-character code.
    pub kind: [u8; 4],
    /// Start of the box.
    pub start: u64,
    /// Start of its payload.
    pub body: u64,
    /// End of the box.
    pub end: u64,
}

/// Lists the boxes in `data[range]` (one level), refusing malformed sizes.
pub fn boxes(data: &[u8], from: u64, to: u64) -> Result<Vec<BoxRef>, Error> {
    let mut out = Vec::new();
    let mut at = from;
    while at < to {
        let bad = || Error::Mp4(format!("malformed box at offset {at}"));
        let head = data.get(at as usize..at as usize + 8).ok_or_else(bad)?;
        let size32 = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as u64;
        let kind: [u8; 4] = [head[4], head[5], head[6], head[7]];
        let (size, body) = match size32 {
            1 => {
                let l = data.get(at as usize + 8..at as usize + 16).ok_or_else(bad)?;
                (u64::from_be_bytes(l.try_into().map_err(|_| bad())?), at + 16)
            }
            0 => (to - at, at + 8),
            s => (s, at + 8),
        };
        if size < body - at || at.checked_add(size).is_none_or(|e| e > to) {
            return Err(bad());
        }
        out.push(BoxRef { kind, start: at, body, end: at + size });
        at += size;
    }
    Ok(out)
}

/// Finds the first child of `kind`.
pub fn child(
    data: &[u8],
    parent: &BoxRef,
    skip: u64,
    kind: &[u8; 4],
) -> Result<Option<BoxRef>, Error> {
    Ok(boxes(data, parent.body + skip, parent.end)?.into_iter().find(|b| &b.kind == kind))
}

/// The sample tables read back from a `moov` box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    /// Sample entry type (`avc1`, `hvc1`).
    pub sample_entry: [u8; 4],
    /// Sample sizes.
    pub sizes: Vec<u32>,
    /// Sample durations (track timescale).
    pub durations: Vec<u32>,
    /// Sync sample indices (1-based).
    pub sync: Vec<u32>,
    /// File offset of the first sample; the chunks follow each other from there.
    pub data_offset: u64,
    /// The chunks, in order (samples, sample description).
    pub chunks: Vec<Chunk>,
    /// How many sample descriptions (all of the kind of `sample_entry`).
    pub descriptions: u32,
    /// Track timescale.
    pub timescale: u32,
}

/// What the `meta` box says.
#[derive(Debug, Clone)]
pub struct MetaInfo {
    /// Offset and length of the `sibo` payload within the `meta` box bytes.
    pub sibo: (usize, usize),
    /// The `cert` payload (DER).
    pub cert: Vec<u8>,
    /// The `cstb` start time, UTC ms.
    pub start_ms: Option<i64>,
    /// `suep` operator.
    pub operator: String,
    /// `suep` source (camera) name.
    pub source: String,
    /// `suep` exporting unit name.
    pub unit: String,
    /// `schm` scheme type (must be `oeff`).
    pub scheme: [u8; 4],
}

fn be16(d: &[u8], at: u64) -> Result<u16, Error> {
    d.get(at as usize..at as usize + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or_else(|| Error::Mp4("table cut short".into()))
}

fn be32(d: &[u8], at: u64) -> Result<u32, Error> {
    d.get(at as usize..at as usize + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| Error::Mp4("table cut short".into()))
}

fn be64(d: &[u8], at: u64) -> Result<u64, Error> {
    d.get(at as usize..at as usize + 8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| Error::Mp4("table cut short".into()))
}

fn need(d: &[u8], parent: &BoxRef, skip: u64, kind: &[u8; 4]) -> Result<BoxRef, Error> {
    child(d, parent, skip, kind)?
        .ok_or_else(|| Error::Mp4(format!("no {} box", String::from_utf8_lossy(kind))))
}

/// Parses a `moov` box (its whole bytes, header included) as [`head`] writes it: one video
/// track, its chunks back to back. Anything else is refused with a reason; nothing panics on hostile input.
pub fn parse_moov(d: &[u8]) -> Result<Tables, Error> {
    let top = boxes(d, 0, d.len() as u64)?;
    let moov = top
        .first()
        .filter(|b| &b.kind == b"moov")
        .copied()
        .ok_or_else(|| Error::Mp4("not a moov box".into()))?;
    let traks = boxes(d, moov.body, moov.end)?.into_iter().filter(|b| &b.kind == b"trak").count();
    if traks != 1 {
        return Err(Error::Mp4(format!("{traks} tracks; an export holds exactly one")));
    }
    let trak = need(d, &moov, 0, b"trak")?;
    let mdia = need(d, &trak, 0, b"mdia")?;
    let mdhd = need(d, &mdia, 0, b"mdhd")?;
    let timescale = match d.get(mdhd.body as usize) {
        Some(1) => be32(d, mdhd.body + 4 + 16)?,
        Some(0) => be32(d, mdhd.body + 4 + 8)?,
        _ => return Err(Error::Mp4("mdhd version".into())),
    };
    if timescale == 0 {
        return Err(Error::Mp4("timescale 0".into()));
    }
    let minf = need(d, &mdia, 0, b"minf")?;
    let stbl = need(d, &minf, 0, b"stbl")?;
    let stsd = need(d, &stbl, 0, b"stsd")?;
    let entries = boxes(d, stsd.body + 8, stsd.end)?;
    let descriptions = be32(d, stsd.body + 4)?;
    if descriptions == 0 || descriptions as usize != entries.len() {
        return Err(Error::Mp4(format!(
            "stsd says {descriptions} sample descriptions and holds {}",
            entries.len()
        )));
    }
    if descriptions > MAX_DESCRIPTIONS {
        return Err(Error::Mp4(format!("{descriptions} sample descriptions is not an export")));
    }
    let entry = entries[0];
    if entries.iter().any(|e| e.kind != entry.kind) {
        return Err(Error::Mp4("an export's sample descriptions are of one codec".into()));
    }
    let stsz = need(d, &stbl, 0, b"stsz")?;
    let stts = need(d, &stbl, 0, b"stts")?;
    let stsc = need(d, &stbl, 0, b"stsc")?;
    let co64 = need(d, &stbl, 0, b"co64")?;
    let stss = need(d, &stbl, 0, b"stss")?;
    if be32(d, stsz.body + 4)? != 0 {
        return Err(Error::Mp4("stsz with a constant size is not an export".into()));
    }
    let count = u64::from(be32(d, stsz.body + 8)?);
    if count > (stsz.end - stsz.body).saturating_sub(12) / 4 {
        return Err(Error::Mp4("stsz claims more samples than it holds".into()));
    }
    let mut sizes = Vec::with_capacity(count as usize);
    for i in 0..count {
        sizes.push(be32(d, stsz.body + 12 + 4 * i)?);
    }
    let runs = u64::from(be32(d, stts.body + 4)?);
    if runs > (stts.end - stts.body).saturating_sub(8) / 8 {
        return Err(Error::Mp4("stts claims more entries than it holds".into()));
    }
    let mut durations = Vec::with_capacity(sizes.len());
    for i in 0..runs {
        let n = be32(d, stts.body + 8 + 8 * i)?;
        let dur = be32(d, stts.body + 12 + 8 * i)?;
        if durations.len() as u64 + u64::from(n) > count {
            return Err(Error::Mp4("stts covers more samples than stsz".into()));
        }
        durations.extend(std::iter::repeat_n(dur, n as usize));
    }
    if durations.len() as u64 != count {
        return Err(Error::Mp4("stts covers fewer samples than stsz".into()));
    }
    let nsync = u64::from(be32(d, stss.body + 4)?);
    if nsync > (stss.end - stss.body).saturating_sub(8) / 4 {
        return Err(Error::Mp4("stss claims more entries than it holds".into()));
    }
    let mut sync = Vec::with_capacity(nsync as usize);
    for i in 0..nsync {
        sync.push(be32(d, stss.body + 8 + 4 * i)?);
    }
    // Chunks back to back, covering every sample in order, each naming a description.
    let nchunks = u64::from(be32(d, co64.body + 4)?);
    if nchunks == 0 || count == 0 {
        return Err(Error::Mp4("an export holds at least one sample".into()));
    }
    if nchunks > (co64.end - co64.body).saturating_sub(8) / 8 || nchunks > count {
        return Err(Error::Mp4("co64 claims more chunks than it holds".into()));
    }
    let nstsc = u64::from(be32(d, stsc.body + 4)?);
    if nstsc > (stsc.end - stsc.body).saturating_sub(8) / 12 || nstsc > nchunks {
        return Err(Error::Mp4("stsc claims more entries than it holds".into()));
    }
    let mut runs = Vec::with_capacity(nstsc as usize);
    for i in 0..nstsc {
        let at = stsc.body + 8 + 12 * i;
        runs.push((be32(d, at)?, be32(d, at + 4)?, be32(d, at + 8)?));
    }
    let mut chunks = Vec::with_capacity(nchunks as usize);
    for (i, (first, samples, description)) in runs.iter().copied().enumerate() {
        let next = runs.get(i + 1).map_or(nchunks + 1, |r| u64::from(r.0));
        let first_ok = if i == 0 { first == 1 } else { first > runs[i - 1].0 };
        if !first_ok || next <= u64::from(first) || next > nchunks + 1 {
            return Err(Error::Mp4("stsc entries out of order".into()));
        }
        if samples == 0 || description == 0 || description > descriptions {
            return Err(Error::Mp4("an stsc entry names no samples or no description".into()));
        }
        for _ in u64::from(first)..next {
            chunks.push(Chunk { samples, description });
        }
    }
    if chunks.len() as u64 != nchunks
        || chunks.iter().map(|c| u64::from(c.samples)).sum::<u64>() != count
    {
        return Err(Error::Mp4("the chunks do not hold the samples exactly".into()));
    }
    let data_offset = be64(d, co64.body + 8)?;
    let mut at = data_offset;
    let mut sample = 0usize;
    for (i, c) in chunks.iter().enumerate() {
        if be64(d, co64.body + 8 + 8 * i as u64)? != at {
            return Err(Error::Mp4("an export's chunks follow each other in one mdat".into()));
        }
        let n = c.samples as usize;
        at += sizes[sample..sample + n].iter().map(|s| u64::from(*s)).sum::<u64>();
        sample += n;
    }
    Ok(Tables {
        sample_entry: entry.kind,
        sizes,
        durations,
        sync,
        data_offset,
        chunks,
        descriptions,
        timescale,
    })
}

/// The most sample descriptions an export holds: one per set of codec parameters a camera sent
/// in the range (each switch between masks at the camera and at the recorder may add one; the
/// same parameters again reuse theirs).
pub const MAX_DESCRIPTIONS: u32 = 64;

/// Parses the file-level `meta` box (its whole bytes) as [`meta`] writes it.
pub fn parse_meta(d: &[u8]) -> Result<MetaInfo, Error> {
    let top = boxes(d, 0, d.len() as u64)?;
    let meta = top
        .first()
        .filter(|b| &b.kind == b"meta")
        .copied()
        .ok_or_else(|| Error::Mp4("not a meta box".into()))?;
    // meta is a full box: skip version/flags.
    let suep = child(d, &meta, 4, b"suep")?
        .ok_or_else(|| Error::Mp4("no suep box (not an ONVIF export)".into()))?;
    let ipro = need(d, &meta, 4, b"ipro")?;
    if be16(d, ipro.body + 4)? != 1 {
        return Err(Error::Mp4("ipro must hold one protection scheme".into()));
    }
    let sinf = need(d, &ipro, 6, b"sinf")?;
    let schm = need(d, &sinf, 0, b"schm")?;
    let schi = need(d, &sinf, 0, b"schi")?;
    let sibo = need(d, &schi, 0, b"sibo")?;
    let cert = need(d, &schi, 0, b"cert")?;
    let cstb = child(d, &sinf, 0, b"cstb")?;
    let scheme: [u8; 4] = d
        .get(schm.body as usize + 4..schm.body as usize + 8)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::Mp4("schm cut short".into()))?;
    let start_ms = match cstb {
        Some(c) => {
            let t = be64(d, c.body + 8)?;
            Some((t.saturating_sub(EPOCH_1601_100NS) / 10_000) as i64)
        }
        None => None,
    };
    // suep v1: unit name, url, mac (strings), u64 time, operator, u32 count, u16 track id,
    // then source name and url.
    let mut p = suep.body as usize + 4;
    let take = |p: &mut usize| -> Result<String, Error> {
        let rest =
            d.get(*p..suep.end as usize).ok_or_else(|| Error::Mp4("suep cut short".into()))?;
        let n = rest
            .iter()
            .position(|b| *b == 0)
            .ok_or_else(|| Error::Mp4("suep string not terminated".into()))?;
        let s = String::from_utf8_lossy(&rest[..n]).into_owned();
        *p += n + 1;
        Ok(s)
    };
    let unit = take(&mut p)?;
    take(&mut p)?;
    take(&mut p)?;
    p += 8;
    let operator = take(&mut p)?;
    p += 4 + 2;
    let source = take(&mut p)?;
    Ok(MetaInfo {
        sibo: (sibo.body as usize, (sibo.end - sibo.body) as usize),
        cert: d[cert.body as usize..cert.end as usize].to_vec(),
        start_ms,
        operator,
        source,
        unit,
        scheme,
    })
}
