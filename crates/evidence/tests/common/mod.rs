//! A small recorded camera: real H.264 (openh264) in sealed segments with their chain, as the
//! recorder writes them, and helpers to export and to rebuild tampered packages.

#![allow(dead_code)]

use ed25519_dalek::SigningKey;
use evidence::city::CityIdentity;
use evidence::export::{FrameMeta, Request, SegmentSource};
use evidence::manifest::Refs;
use evidence::verify::Options;
use media::chain::{ChainCheckpoint, Gap, LinkInput, genesis};
use media::frame::Frame;
use media::keys::{DataKey, new_key_id};
use media::segment::{CodecParams, SegmentHeader, SegmentWriter, new_salt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// 2026-11-24 10:00:00 JST.
pub const T0: i64 = 1_795_482_000_000;
pub const FPS: i64 = 25;

pub fn city() -> &'static CityIdentity {
    static C: OnceLock<CityIdentity> = OnceLock::new();
    C.get_or_init(|| CityIdentity::generate("kitakyushu", 2048).unwrap())
}

pub fn node_key() -> SigningKey {
    SigningKey::from_bytes(&[42u8; 32])
}

pub fn clip(seed_seconds: u32) -> &'static camsim::Clip {
    static A: OnceLock<camsim::Clip> = OnceLock::new();
    static B: OnceLock<camsim::Clip> = OnceLock::new();
    let cell = if seed_seconds == 4 { &A } else { &B };
    let rate = if seed_seconds == 4 { 300_000 } else { 200_000 };
    cell.get_or_init(|| camsim::synthesize(320, 240, 25, rate, seed_seconds).unwrap())
}

pub fn params(c: &camsim::Clip) -> CodecParams {
    CodecParams {
        rfc6381: format!("avc1.{}", c.profile_level_id()),
        width: c.width,
        height: c.height,
        extra_data: hex::encode(c.avc_decoder_config().unwrap()),
    }
}

/// Verification options with the test node key and nothing else.
pub fn opts() -> Options<'static> {
    Options {
        node_key: node_key().verifying_key(),
        city_cert: None,
        decryption: None,
        expect_request: None,
    }
}

/// The access unit of clip frame `i` (AVCC).
pub fn access_unit(c: &camsim::Clip, i: usize) -> (Vec<u8>, bool) {
    let f = &c.frames[i % c.frames.len()];
    let mut data = Vec::new();
    for n in &f.nals {
        data.extend_from_slice(&(n.len() as u32).to_be_bytes());
        data.extend_from_slice(n);
    }
    (data, f.keyframe)
}

/// A recorded camera: `segments` segments of 4 s (100 frames, keyframe every 2 s).
pub struct Recorded {
    pub dir: tempfile::TempDir,
    pub sources: Vec<SegmentSource>,
    pub checkpoints: Vec<ChainCheckpoint>,
    pub gaps: Vec<Gap>,
}

/// Records `n` segments of camera `cam`, with a gap of `gap_ms` before segment 3 if non-zero.
pub fn record(cam: &str, n: u64, gap_ms: i64) -> Recorded {
    record_opts(cam, n, gap_ms, 0)
}

/// As [`record`], and the recorder's wall clock stepped by `step_ms` before segment 3 (an NTP
/// step: wall times jump, media times do not; the recorder cuts the segment there).
pub fn record_opts(cam: &str, n: u64, gap_ms: i64, step_ms: i64) -> Recorded {
    record_switching(cam, n, gap_ms, step_ms, None)
}

/// Another camera picture (352×288): other codec parameters than [`clip`]'s.
pub fn other_clip() -> &'static camsim::Clip {
    static C: OnceLock<camsim::Clip> = OnceLock::new();
    C.get_or_init(|| camsim::synthesize(352, 288, 25, 300_000, 4).unwrap())
}

/// As [`record_opts`], the camera sending [`other_clip`] (other codec parameters, as when it
/// starts masking at the source) in the segments whose number is in `switched`.
pub fn record_switching(
    cam: &str,
    n: u64,
    gap_ms: i64,
    step_ms: i64,
    switched: Option<&dyn Fn(u64) -> bool>,
) -> Recorded {
    let dir = tempfile::tempdir().unwrap();
    let key = DataKey::generate().unwrap();
    let key_id = new_key_id().unwrap();
    let node = node_key();
    let mut prev = genesis(cam, "node1");
    let mut sources = Vec::new();
    let mut checkpoints = Vec::new();
    let mut gaps = Vec::new();
    let mut frame_no: i64 = 0;
    let mut shift = 0i64;
    let mut clock = 0i64;
    for seq in 1..=n {
        if seq == 3 {
            clock += step_ms;
        }
        let path = dir.path().join(format!("{seq:010}.mseg"));
        let header = SegmentHeader {
            version: 1,
            camera: cam.into(),
            day: "2026-11-24".into(),
            seq,
            key_id: key_id.clone(),
            salt: new_salt().unwrap(),
            clock_rate: 90_000,
            created_ms: T0,
        };
        let mut gap_before = None;
        if seq == 3 && gap_ms > 0 {
            let start = T0 + frame_no * 40 + shift;
            shift += gap_ms;
            gap_before = Some(Gap {
                start_ms: start,
                end_ms: start + gap_ms,
                cause: "camera unreachable".into(),
            });
            gaps.push(gap_before.clone().unwrap());
        }
        let c = if switched.is_some_and(|f| f(seq)) { other_clip() } else { clip(4) };
        let mut w = SegmentWriter::create(&path, header, &key, &params(c)).unwrap();
        let mut metas = Vec::new();
        let mut first_wall = 0;
        let mut last_wall = 0;
        for k in 0..100 {
            let (data, keyframe) = access_unit(c, k);
            let wall = T0 + frame_no * 40 + shift + clock;
            if k == 0 {
                first_wall = wall;
            }
            last_wall = wall;
            let f =
                Frame { pts: 90_000 + frame_no * 3600 + shift * 90, wall_ms: wall, keyframe, data };
            metas.push(FrameMeta {
                pts: f.pts,
                wall_ms: f.wall_ms,
                size: f.data.len() as u32,
                keyframe,
            });
            w.append(&f).unwrap();
            frame_no += 1;
        }
        let sealed = w
            .finish(LinkInput {
                camera: cam.into(),
                seq,
                prev,
                root: [0; 32],
                frames: 0,
                start_ms: first_wall,
                end_ms: last_wall,
                gap_before,
            })
            .unwrap();
        prev = sealed.trailer.link;
        if seq == n {
            checkpoints.push(ChainCheckpoint::sign(&node, cam, seq, prev, last_wall + 1000));
        }
        sources.push(SegmentSource {
            seq,
            day: "2026-11-24".into(),
            path,
            key: key.clone(),
            link: sealed.trailer.link,
            frames: metas,
        });
    }
    Recorded { dir, sources, checkpoints, gaps }
}

pub fn request<'a>(
    rec: &Recorded,
    cam: &str,
    from_ms: i64,
    to_ms: i64,
    node: &'a SigningKey,
    tail_from: usize,
) -> Request<'a> {
    Request {
        package_id: "EV-test".into(),
        profile: "kitakyushu".into(),
        refs: Refs { request: Some(1), instruction: Some(2), ..Refs::default() },
        operator: "officer1 (handling officer)".into(),
        node_id: "node1".into(),
        camera: cam.into(),
        site: Some("小倉駅前".into()),
        camera_url: "rtsp://10.0.0.5/cam1".into(),
        from_ms,
        to_ms,
        now_ms: T0 + 3_600_000,
        segments: rec.sources[..tail_from].to_vec(),
        tail: rec.sources[tail_from..].to_vec(),
        checkpoints: rec.checkpoints.clone(),
        gaps: rec.gaps.clone(),
        signing: node,
        city: city(),
        unit_name: "mimamori node1".into(),
        unit_url: "https://mimamori.example.invalid/".into(),
    }
}

/// Every entry of a package, in memory.
pub fn entries(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut p = evidence::package::Package::open(path, None).unwrap();
    let mut out = Vec::new();
    for name in [
        evidence::package::VIDEO,
        evidence::package::MANIFEST,
        evidence::package::SIGNATURE,
        evidence::package::CITY_CERT,
        evidence::package::README,
    ] {
        out.push((name.to_owned(), p.read_small(name).unwrap()));
    }
    out
}

/// Writes a package from entries in the canonical layout (as an attacker who read the format
/// would), with the entry times of the packages `request` makes.
pub fn repack(entries: &[(String, Vec<u8>)], out: &Path) -> PathBuf {
    let f = std::fs::File::create(out).unwrap();
    let mut w = evidence::package::Writer::new(
        Box::new(evidence::package::Plain::new(f).unwrap()),
        T0 + 3_600_000,
    )
    .unwrap();
    for (n, b) in entries {
        w.add(n, b).unwrap();
    }
    w.finish().unwrap();
    out.to_owned()
}

pub fn get<'a>(entries: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    &entries.iter().find(|(n, _)| n == name).unwrap().1
}

pub fn set(entries: &mut [(String, Vec<u8>)], name: &str, bytes: Vec<u8>) {
    entries.iter_mut().find(|(n, _)| n == name).unwrap().1 = bytes;
}

/// Top-level boxes of an MP4: (type, start, end).
pub fn top_boxes(mp4: &[u8]) -> Vec<([u8; 4], usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 8 <= mp4.len() {
        let mut size = u32::from_be_bytes(mp4[at..at + 4].try_into().unwrap()) as usize;
        if size == 1 {
            size = u64::from_be_bytes(mp4[at + 8..at + 16].try_into().unwrap()) as usize;
        }
        out.push((mp4[at + 4..at + 8].try_into().unwrap(), at, at + size));
        at += size;
    }
    out
}
