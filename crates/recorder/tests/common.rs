//! Shared helpers for the recorder tests.

#![allow(clippy::unwrap_used, dead_code)] // tests unwrap: a panic is the failure report

use media::keys::DataKey;
use recorder::Ctx;
use recorder::db::SegmentRow;
use std::path::Path;

/// Starts camsim in this process with a small synthesised clip; returns its port.
pub async fn camsim(cameras: usize, faults: camsim::Faults) -> u16 {
    static CLIP: std::sync::OnceLock<camsim::Clip> = std::sync::OnceLock::new();
    let clip = CLIP.get_or_init(|| camsim::synthesize(320, 240, 25, 300_000, 4).unwrap()).clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let sim = camsim::CamSim::new(clip, cameras, faults);
    tokio::spawn(sim.serve(listener));
    port
}

/// Camera `code` of a camsim on `port`, without credentials, masks or a retention of its own.
pub fn camera_config(code: &str, port: u16) -> recorder::config::CameraConfig {
    let url = format!("rtsp://127.0.0.1:{port}/{code}");
    recorder::config::CameraConfig::from_url(code, &url).unwrap()
}

/// The day key of a segment, from a (possibly reopened) node database.
pub async fn key_of(db: &recorder::db::NodeDb, ctx: &Ctx, row: &SegmentRow) -> Option<DataKey> {
    let k = db.key(&row.key_id).await.unwrap()?;
    Some(ctx.kek.unwrap(&k.wrapped, &k.camera, &k.day, &k.key_id).unwrap())
}

/// Checks a camera's chain: consecutive sequence numbers' links connect.
pub fn check_chain(rows: &[SegmentRow]) {
    for w in rows.windows(2) {
        assert_eq!(w[1].prev_link, w[0].link, "segment {} does not link to {}", w[1].seq, w[0].seq);
    }
}

/// Every file under `dir`, recursively.
pub fn all_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(all_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Frames as an Annex B elementary stream with the parameter sets from the avcC record.
pub fn annexb(params: &media::segment::CodecParams, frames: &[media::frame::Frame]) -> Vec<u8> {
    let avcc = hex::decode(&params.extra_data).unwrap();
    let mut out = Vec::new();
    // avcC: version, profile, compat, level, lengthSize, numSPS(&0x1f), [len sps]…, numPPS, [len pps]…
    let mut i = 5;
    let nsps = avcc[i] & 0x1f;
    i += 1;
    for _ in 0..nsps {
        let n = u16::from_be_bytes([avcc[i], avcc[i + 1]]) as usize;
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(&avcc[i + 2..i + 2 + n]);
        i += 2 + n;
    }
    let npps = avcc[i];
    i += 1;
    for _ in 0..npps {
        let n = u16::from_be_bytes([avcc[i], avcc[i + 1]]) as usize;
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(&avcc[i + 2..i + 2 + n]);
        i += 2 + n;
    }
    for f in frames {
        let mut b = &f.data[..];
        while b.len() >= 4 {
            let n = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(&b[4..4 + n]);
            b = &b[4 + n..];
        }
    }
    out
}
