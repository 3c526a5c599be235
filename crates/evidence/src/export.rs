//! Building a package from recorded segments.
//!
//! The MP4's sample tables come from the node index (sizes, times, keyframes) before a byte is
//! decrypted, so the file is written front to back in one pass: `ftyp moov mdat meta`. A reader
//! thread decrypts segments and checks each against its sealed root (with the frame hashes its
//! trailer keeps) while the main thread writes the bytes to the zip entry and a third thread
//! hashes the same bytes (SHA-256); the ONVIF signature covers the whole file with the `sibo`
//! payload zeroed, and since `meta` comes last it is signed before it is written.

use crate::city::CityIdentity;
use crate::manifest::{self, Camera, Manifest, Node, Range, Refs, Video};
use crate::mp4::{self, Chunk, Description, ExportInfo, Track};
use crate::{Error, package};
use ed25519_dalek::SigningKey;
use media::chain::{ChainCheckpoint, Gap, LinkInput};
use media::frame::Frame;
use media::frame::Leaf;
use media::keys::DataKey;
use media::merkle::Hash;
use media::segment::{CodecParams, SegmentContents};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A frame as the node index knows it (no bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameMeta {
    /// Media timestamp (90 kHz).
    pub pts: i64,
    /// Wall clock, UTC ms.
    pub wall_ms: i64,
    /// Access unit size.
    pub size: u32,
    /// Keyframe.
    pub keyframe: bool,
}

/// A sealed segment the export may read.
#[derive(Clone)]
pub struct SegmentSource {
    /// Sequence number.
    pub seq: u64,
    /// JST day.
    pub day: String,
    /// The sealed file.
    pub path: PathBuf,
    /// Its day (or hold) key.
    pub key: DataKey,
    /// Its link, per the index.
    pub link: Hash,
    /// Its frames, per the index.
    pub frames: Vec<FrameMeta>,
}

/// What to export.
pub struct Request<'a> {
    /// Package id (the extraction records it).
    pub package_id: String,
    /// Regulation profile id.
    pub profile: String,
    /// Workflow records.
    pub refs: Refs,
    /// Operator (account login and name).
    pub operator: String,
    /// Recorder node id.
    pub node_id: String,
    /// Camera code.
    pub camera: String,
    /// Site, when known.
    pub site: Option<String>,
    /// Camera URL without credentials (ONVIF `suep`).
    pub camera_url: String,
    /// Requested range, UTC ms.
    pub from_ms: i64,
    /// Requested range end, UTC ms.
    pub to_ms: i64,
    /// Export time, UTC ms.
    pub now_ms: i64,
    /// The camera's segments overlapping the range, in sequence order, with no hole in the
    /// sequence; the first may start before the range (for the keyframe).
    pub segments: Vec<SegmentSource>,
    /// Segments after the last one in `segments`, in order, up to and including the first one
    /// with a checkpoint (their frames are not exported; their links carry the chain on).
    pub tail: Vec<SegmentSource>,
    /// Node checkpoints of this camera from the first segment on.
    pub checkpoints: Vec<ChainCheckpoint>,
    /// Gaps recorded inside the range.
    pub gaps: Vec<Gap>,
    /// The node's key.
    pub signing: &'a SigningKey,
    /// The city's export identity.
    pub city: &'a CityIdentity,
    /// Exporting unit name (ONVIF `suep`).
    pub unit_name: String,
    /// Exporting unit URL.
    pub unit_url: String,
}

/// What an export produced.
#[derive(Debug, Clone)]
pub struct Output {
    /// The package file.
    pub path: PathBuf,
    /// Package id.
    pub package_id: String,
    /// SHA-256 of `manifest.json`, hex (the extraction and ledger record it).
    pub manifest_sha256: String,
    /// Package size.
    pub bytes: u64,
    /// Frames exported.
    pub frames: u64,
    /// Video bytes (samples).
    pub video_bytes: u64,
    /// Range delivered.
    pub delivered: Range,
    /// Whether the package is encrypted.
    pub encrypted: bool,
}

/// A new package id: `EV-` and 16 random bytes in hex.
pub fn new_package_id() -> Result<String, Error> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| Error::Export(format!("random: {e}")))?;
    Ok(format!("EV-{}", hex::encode(b)))
}

/// A frame's place: (segment index, frame index).
pub type FramePos = (usize, usize);

/// Which frames go out: from the last keyframe at or before `from` (or the first keyframe after
/// it) to the last frame at or before `to`. Returns (segment index, frame index) of the first and
/// last frame.
pub fn select(
    segments: &[SegmentSource],
    from_ms: i64,
    to_ms: i64,
) -> Result<(FramePos, FramePos), Error> {
    let all: Vec<(usize, usize, &FrameMeta)> = segments
        .iter()
        .enumerate()
        .flat_map(|(s, seg)| seg.frames.iter().enumerate().map(move |(f, m)| (s, f, m)))
        .collect();
    if !all.iter().any(|(_, _, m)| m.wall_ms >= from_ms && m.wall_ms <= to_ms) {
        return Err(Error::Export("no footage recorded in this range".into()));
    }
    let start = all
        .iter()
        .rposition(|(_, _, m)| m.keyframe && m.wall_ms <= from_ms)
        .or_else(|| all.iter().position(|(_, _, m)| m.keyframe && m.wall_ms >= from_ms))
        .ok_or_else(|| Error::Export("no keyframe recorded for this range".into()))?;
    let end = all
        .iter()
        .rposition(|(_, _, m)| m.wall_ms <= to_ms)
        .filter(|e| *e >= start)
        .ok_or_else(|| Error::Export("no footage recorded in this range".into()))?;
    Ok(((all[start].0, all[start].1), (all[end].0, all[end].1)))
}

/// What the reader thread hands over per segment.
struct Read {
    contents: SegmentContents,
    leaves: Vec<Leaf>,
}

fn read_segment(s: &SegmentSource) -> Result<Read, Error> {
    let contents = media::segment::read_sealed(&s.path, &s.key)?;
    if let Some(why) = &contents.torn {
        return Err(Error::Export(format!("segment {} cannot be read whole: {why}", s.seq)));
    }
    let trailer = contents
        .trailer
        .as_ref()
        .ok_or_else(|| Error::Export(format!("segment {} is not sealed", s.seq)))?;
    // The frame hashes sealed at recording time: each frame's chunk authenticated on
    // decryption, and `read_sealed` checked that these leaves give the sealed root (issue 17,
    // item 7). The link must be the one the index recorded.
    let leaves = contents.sealed_leaves();
    if trailer.link != s.link {
        return Err(Error::Export(format!(
            "segment {} does not match its recorded root and link; run `mimamori recorder \
             check` and report it",
            s.seq
        )));
    }
    if contents.frames.len() != s.frames.len()
        || contents.frames.iter().zip(&s.frames).any(|(f, m)| {
            f.data.len() as u64 != u64::from(m.size) || f.pts != m.pts || f.keyframe != m.keyframe
        })
    {
        return Err(Error::Export(format!("segment {} differs from its index entry", s.seq)));
    }
    Ok(Read { contents, leaves })
}

/// What the hashing thread is given, in the order the MP4's bytes are written.
enum ToHash {
    /// Bytes the export made (the movie's head).
    Bytes(Vec<u8>),
    /// A run of a segment's frames, shared with the writer (not copied).
    Frames(std::sync::Arc<Vec<Frame>>, usize, usize),
}

/// SHA-256 of the MP4 on a thread of its own (issue 17, item 7): the export's main thread
/// remuxes and writes while this one hashes the same bytes, on the other core.
struct Hashing {
    tx: Option<std::sync::mpsc::SyncSender<ToHash>>,
    thread: std::thread::JoinHandle<Sha256>,
}

impl Hashing {
    fn start() -> Result<Hashing, Error> {
        // Two runs ahead at most: a slow hash holds back the writer, never memory (with the
        // reader's two ahead, at most six segments' frames are held at once). One run ahead
        // was measured slower (docs/benchmarks.md, 2026-12-06).
        let (tx, rx) = std::sync::mpsc::sync_channel::<ToHash>(2);
        let thread =
            std::thread::Builder::new().name("package-sha256".into()).spawn(move || {
                let mut sha = Sha256::new();
                for m in rx {
                    match m {
                        ToHash::Bytes(b) => sha.update(&b),
                        ToHash::Frames(frames, a, b) => {
                            for f in &frames[a..b] {
                                sha.update(&f.data);
                            }
                        }
                    }
                }
                sha
            })?;
        Ok(Hashing { tx: Some(tx), thread })
    }

    fn send(&self, m: ToHash) -> Result<(), Error> {
        let stopped = || Error::Export("the hashing thread stopped".into());
        self.tx.as_ref().ok_or_else(stopped)?.send(m).map_err(|_| stopped())
    }

    /// The hash of everything sent.
    fn finish(mut self) -> Result<Sha256, Error> {
        self.tx = None;
        self.thread.join().map_err(|_| Error::Export("the hashing thread failed".into()))
    }
}

/// The ONVIF `suep`/`cstb` facts of an export whose first frame is at `start_ms`.
fn export_info(req: &Request<'_>, start_ms: i64) -> ExportInfo {
    ExportInfo {
        unit_name: req.unit_name.clone(),
        unit_url: req.unit_url.clone(),
        export_ms: req.now_ms,
        operator: req.operator.clone(),
        source_name: req.camera.clone(),
        source_url: req.camera_url.clone(),
        start_ms,
    }
}

/// The sample description of footage recorded with `params`.
pub(crate) fn description(params: &CodecParams) -> Result<Description, Error> {
    let sample_entry = if params.rfc6381.starts_with("hvc1") || params.rfc6381.starts_with("hev1") {
        *b"hvc1"
    } else if params.rfc6381.starts_with("avc1") || params.rfc6381.starts_with("avc3") {
        *b"avc1"
    } else {
        return Err(Error::Export(format!("codec {} cannot go into MP4", params.rfc6381)));
    };
    let config = hex::decode(&params.extra_data)
        .map_err(|_| Error::Export("recorded codec parameters are not hex".into()))?;
    Ok(Description {
        sample_entry,
        config,
        width: u16::try_from(params.width).unwrap_or(u16::MAX),
        height: u16::try_from(params.height).unwrap_or(u16::MAX),
    })
}

/// The track of `frames`, recorded in runs of `(codec parameters, how many frames)`: a chunk per
/// run, each naming the description of its parameters (one description per distinct set).
/// Parameters of another codec in the same range are refused: one track holds one codec.
pub(crate) fn codec_track(
    runs: &[(&CodecParams, usize)],
    frames: &[FrameMeta],
) -> Result<Track, Error> {
    let mut distinct: Vec<&CodecParams> = Vec::new();
    let mut descriptions: Vec<Description> = Vec::new();
    let mut chunks: Vec<Chunk> = Vec::new();
    for (p, n) in runs {
        if *n == 0 {
            continue;
        }
        let index = match distinct.iter().position(|q| q == p) {
            Some(i) => i,
            None => {
                let d = description(p)?;
                if descriptions.first().is_some_and(|f| f.sample_entry != d.sample_entry) {
                    return Err(Error::Export(format!(
                        "the camera changed codec in this range ({} to {}); export the parts \
                         before and after the change separately",
                        distinct[0].rfc6381, p.rfc6381
                    )));
                }
                if descriptions.len() as u32 >= mp4::MAX_DESCRIPTIONS {
                    return Err(Error::Export(format!(
                        "the camera's codec parameters change more than {} times in this range; \
                         export it in shorter parts",
                        mp4::MAX_DESCRIPTIONS
                    )));
                }
                distinct.push(p);
                descriptions.push(d);
                distinct.len() - 1
            }
        };
        chunks.push(Chunk { samples: *n as u32, description: index as u32 + 1 });
    }
    let pts: Vec<i64> = frames.iter().map(|f| f.pts).collect();
    let sync =
        frames.iter().enumerate().filter(|(_, f)| f.keyframe).map(|(i, _)| i as u32 + 1).collect();
    Ok(Track {
        descriptions,
        chunks,
        sizes: frames.iter().map(|f| f.size).collect(),
        durations: mp4::durations(&pts),
        sync,
    })
}

/// Exports `req` to `out` (a `.zip`, or with `encrypt`, an age file). The file appears only when
/// complete: it is written as `out.partial` and renamed.
pub fn export(
    req: &Request<'_>,
    out: &Path,
    encrypt: Option<&package::Encryption>,
) -> Result<Output, Error> {
    let partial = out.with_extension("partial");
    let r = export_inner(req, &partial, encrypt);
    match r {
        Ok(mut o) => {
            std::fs::rename(&partial, out)?;
            o.path = out.to_owned();
            Ok(o)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

fn export_inner(
    req: &Request<'_>,
    partial: &Path,
    encrypt: Option<&package::Encryption>,
) -> Result<Output, Error> {
    if req.to_ms <= req.from_ms {
        return Err(Error::Export("the range ends before it starts".into()));
    }
    let ((s0, f0), (s1, f1)) = select(&req.segments, req.from_ms, req.to_ms)?;
    for w in req.segments.windows(2).chain(req.tail.windows(2)) {
        if w[1].seq != w[0].seq + 1 {
            return Err(Error::Export(format!("segment {} missing from the index", w[0].seq + 1)));
        }
    }
    let segs = &req.segments[s0..=s1];
    // The exported slice of each segment.
    let slices: Vec<(usize, usize)> = segs
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let a = if i == 0 { f0 } else { 0 };
            let b = if i + 1 == segs.len() { f1 + 1 } else { s.frames.len() };
            (a, b)
        })
        .collect();
    let frames: Vec<FrameMeta> =
        segs.iter().zip(&slices).flat_map(|(s, (a, b))| s.frames[*a..*b].iter().copied()).collect();
    let first = frames[0];
    let last = frames[frames.len() - 1];

    // The reader thread: decrypt and hash ahead of the writer.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Read, Error>>(2);
    let to_read: Vec<SegmentSource> = segs.iter().chain(&req.tail).cloned().collect();
    let reader = std::thread::spawn(move || {
        for s in &to_read {
            let r = read_segment(s);
            let stop = r.is_err();
            if tx.send(r).is_err() || stop {
                break;
            }
        }
    });

    let result = (|| -> Result<Output, Error> {
        let sink: Box<dyn package::Sink> = match encrypt {
            Some(e) => e.wrap(std::fs::File::create(partial)?)?,
            // Written around the page cache where the file system allows (issue 17, item 7).
            None => match package::Direct::create(partial) {
                Ok(d) => Box::new(d),
                Err(_) => Box::new(package::Plain::new(std::fs::File::create(partial)?)?),
            },
        };
        // Each segment's codec parameters first (its first chunk only): the movie box, written
        // before the samples, describes them all.
        let seg_params: Vec<CodecParams> = segs
            .iter()
            .map(|s| media::segment::read_params(&s.path, &s.key))
            .collect::<Result<_, _>>()?;
        let runs: Vec<(&CodecParams, usize)> =
            seg_params.iter().zip(&slices).map(|(p, (a, b))| (p, b - a)).collect();
        let track = codec_track(&runs, &frames)?;
        let params = seg_params.first().cloned();
        let mut zip = package::Writer::new(sink, req.now_ms)?;
        let mut reads: Vec<Read> = Vec::new();
        let mut video_bytes = 0u64;
        let (mp4_len, sha_final) = {
            let hashing = Hashing::start()?;
            let video = zip.start_stored(package::VIDEO)?;
            let mut n = 0u64;
            for (i, (s, (a, b))) in segs.iter().zip(&slices).enumerate() {
                let mut r =
                    rx.recv().map_err(|_| Error::Export("the segment reader stopped".into()))??;
                if r.contents.params.as_ref() != Some(&seg_params[i]) {
                    return Err(Error::Export(format!(
                        "segment {} changed while it was exported; run `mimamori recorder \
                         check` and report it",
                        s.seq
                    )));
                }
                if i == 0 {
                    let info = export_info(req, first.wall_ms);
                    let total: u64 = frames.iter().map(|f| u64::from(f.size)).sum();
                    let mut head = mp4::head(&track, &info);
                    head.extend_from_slice(&mp4::mdat_header(total));
                    video.write_all(&head)?;
                    n += head.len() as u64;
                    hashing.send(ToHash::Bytes(head))?;
                }
                // Only the trailer and leaves are kept for the manifest: an hour of video is
                // never held in memory (the frames go once both threads are done with them).
                let run = std::sync::Arc::new(std::mem::take(&mut r.contents.frames));
                hashing.send(ToHash::Frames(run.clone(), *a, *b))?;
                for f in &run[*a..*b] {
                    video.write_all(&f.data)?;
                    video_bytes += f.data.len() as u64;
                }
                reads.push(r);
            }
            n += video_bytes;
            let mut sha = hashing.finish()?;
            // meta: sign the file with the sibo payload zeroed, then write it signed.
            let info = export_info(req, first.wall_ms);
            let (mut meta, sibo_at) =
                mp4::meta(&info, req.city.cert_der(), req.city.signature_len());
            let mut signed = sha.clone();
            signed.update(&meta);
            let digest: [u8; 32] = signed.finalize().into();
            let sig = req.city.sign_digest(&digest)?;
            meta[sibo_at..sibo_at + sig.len()].copy_from_slice(&sig);
            video.write_all(&meta)?;
            sha.update(&meta);
            (n + meta.len() as u64, hex::encode(sha.finalize()))
        };
        let mut tail_reads = Vec::new();
        for s in &req.tail {
            let mut r =
                rx.recv().map_err(|_| Error::Export("the segment reader stopped".into()))??;
            r.contents.frames = Vec::new();
            tail_reads.push((s.seq, r));
        }
        let manifest = build_manifest(
            req,
            segs,
            &slices,
            &reads,
            &tail_reads,
            params.as_ref(),
            (first, last),
            Video {
                file: package::VIDEO.to_owned(),
                bytes: mp4_len,
                sha256: sha_final,
                samples: frames.len() as u64,
                timescale: 90_000,
                codec: params.as_ref().map(|p| p.rfc6381.clone()).unwrap_or_default(),
                width: params.as_ref().map_or(0, |p| p.width),
                height: params.as_ref().map_or(0, |p| p.height),
                city_cert_sha256: req.city.cert_sha256(),
            },
        )?;
        let json = manifest.to_json()?;
        let sig = manifest::sign(req.signing, &json);
        zip.add(package::MANIFEST, &json)?;
        zip.add(package::SIGNATURE, sig.as_bytes())?;
        let (_, cert_pem) = req.city.to_pem()?;
        zip.add(package::CITY_CERT, cert_pem.as_bytes())?;
        zip.add(package::README, package::readme(&manifest).as_bytes())?;
        zip.finish()?;
        let bytes = std::fs::metadata(partial)?.len();
        Ok(Output {
            path: partial.to_owned(),
            package_id: req.package_id.clone(),
            manifest_sha256: hex::encode(Sha256::digest(&json)),
            bytes,
            frames: frames.len() as u64,
            video_bytes,
            delivered: manifest.delivered.clone(),
            encrypted: encrypt.is_some(),
        })
    })();
    drop(rx);
    let _ = reader.join();
    result
}

#[allow(clippy::too_many_arguments)]
fn build_manifest(
    req: &Request<'_>,
    segs: &[SegmentSource],
    slices: &[(usize, usize)],
    reads: &[Read],
    tail: &[(u64, Read)],
    params: Option<&CodecParams>,
    (first, last): (FrameMeta, FrameMeta),
    video: Video,
) -> Result<Manifest, Error> {
    let _ = params;
    let mut segments = Vec::new();
    for ((s, (a, b)), r) in segs.iter().zip(slices).zip(reads) {
        let t = r.contents.trailer.as_ref().ok_or_else(|| Error::Export("unsealed".into()))?;
        segments.push(manifest::Segment {
            seq: s.seq,
            day: s.day.clone(),
            prev: t.link_input.prev,
            root: t.root,
            link: t.link,
            frames: t.frames,
            start_ms: t.link_input.start_ms,
            end_ms: t.link_input.end_ms,
            gap_before: t.link_input.gap_before.clone(),
            leaves: r.leaves.iter().map(|l| hex::encode(l.encode())).collect(),
            exported_first: *a as u64,
            exported_count: (*b - *a) as u64,
        });
    }
    let chain_tail: Vec<LinkInput> = tail
        .iter()
        .filter_map(|(_, r)| r.contents.trailer.as_ref().map(|t| t.link_input.clone()))
        .collect();
    // Checkpoints that sign a link we carry; if none does, sign the last one now.
    let mut links: Vec<(u64, Hash)> = segments.iter().map(|s| (s.seq, s.link)).collect();
    links.extend(chain_tail.iter().map(|l| (l.seq, l.link())));
    let mut checkpoints: Vec<ChainCheckpoint> = req
        .checkpoints
        .iter()
        .filter(|c| c.camera == req.camera && links.contains(&(c.seq, c.link)))
        .cloned()
        .collect();
    if checkpoints.is_empty() {
        let (seq, link) = links[links.len() - 1];
        checkpoints.push(ChainCheckpoint::sign(req.signing, &req.camera, seq, link, req.now_ms));
    }
    let gaps = req
        .gaps
        .iter()
        .filter(|g| g.end_ms > req.from_ms && g.start_ms < req.to_ms)
        .cloned()
        .collect();
    let mut m = Manifest {
        format: manifest::FORMAT.to_owned(),
        package_id: req.package_id.clone(),
        created_ms: req.now_ms,
        created: manifest::jst(req.now_ms),
        profile: req.profile.clone(),
        refs: req.refs.clone(),
        operator: req.operator.clone(),
        node: Node {
            id: req.node_id.clone(),
            public_key: hex::encode(req.signing.verifying_key().to_bytes()),
        },
        camera: Camera { code: req.camera.clone(), site: req.site.clone() },
        requested: Range::new(req.from_ms, req.to_ms),
        delivered: Range::new(first.wall_ms, last.wall_ms),
        video,
        segments,
        chain_tail,
        checkpoints,
        gaps,
        clock_steps: Vec::new(),
    };
    m.clock_steps = m.derived_clock_steps()?;
    Ok(m)
}
