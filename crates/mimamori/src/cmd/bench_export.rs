//! `mimamori bench export`: how fast an evidence package is made from recorded footage, against
//! `cat` copying the same segment files and `ffmpeg -c copy` remuxing the same video, in the same
//! run (issue 5: target ≥ 70 % of the `cat` rate and faster than ffmpeg).
//!
//! The hour is written the way the recorder writes it (sealed 60 s segments with their frame
//! roots and chain), from a 1080p25 4 Mbit/s clip looped; ffmpeg gets the same frames as one MP4.
//! All three read from the page cache (the files were just written and fit in memory), so the
//! comparison is of the work each does, not of the disk; all three end with the output fsynced
//! (a package is durable before its extraction is recorded).

use anyhow::{Context, bail};
use evidence::export::{FrameMeta, Request, SegmentSource};
use media::chain::{ChainCheckpoint, LinkInput, genesis};
use media::frame::Frame;
use media::keys::{DataKey, new_key_id};
use media::segment::{CodecParams, SegmentHeader, SegmentWriter, new_salt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

/// Options of `mimamori bench export`.
#[derive(Debug, clap::Args)]
pub struct ExportBench {
    /// Minutes of footage to export.
    #[arg(long, default_value_t = 60)]
    minutes: u64,
    /// Clip to loop (H.264 MP4, no B-frames). Default: 1080p25 4 Mbit/s made with ffmpeg.
    #[arg(long)]
    clip: Option<PathBuf>,
    /// Rounds; the three contenders alternate and medians are reported.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

const T0: i64 = 1_795_482_000_000; // 2026-11-24 10:00 JST
const SEGMENT_FRAMES: usize = 25 * 60;

fn params(c: &camsim::Clip) -> anyhow::Result<CodecParams> {
    Ok(CodecParams {
        rfc6381: format!("avc1.{}", c.profile_level_id()),
        width: c.width,
        height: c.height,
        extra_data: hex::encode(c.avc_decoder_config()?),
    })
}

struct Hour {
    sources: Vec<SegmentSource>,
    checkpoint: ChainCheckpoint,
    segment_bytes: u64,
    video_bytes: u64,
    frames: usize,
}

/// Writes `frames` frames of the looped clip as sealed segments under `dir`.
fn record(
    dir: &Path,
    clip: &camsim::Clip,
    frames: usize,
    node: &ed25519_dalek::SigningKey,
) -> anyhow::Result<Hour> {
    let key = DataKey::generate()?;
    let key_id = new_key_id()?;
    let p = params(clip)?;
    let mut prev = genesis("cam1", "bench");
    let mut sources = Vec::new();
    let (mut segment_bytes, mut video_bytes) = (0u64, 0u64);
    let mut n = 0usize;
    let mut seq = 0u64;
    while n < frames {
        seq += 1;
        let path = dir.join(format!("{seq:010}.mseg"));
        let header = SegmentHeader {
            version: 1,
            camera: "cam1".into(),
            day: "2026-11-24".into(),
            seq,
            key_id: key_id.clone(),
            salt: new_salt()?,
            clock_rate: 90_000,
            created_ms: T0,
        };
        let mut w = SegmentWriter::create(&path, header, &key, &p)?;
        let mut metas = Vec::new();
        let first_wall = T0 + n as i64 * 40;
        let end = (n + SEGMENT_FRAMES).min(frames);
        while n < end {
            let cf = &clip.frames[n % clip.frames.len()];
            let mut data = Vec::with_capacity(cf.nals.iter().map(|x| x.len() + 4).sum());
            for nal in &cf.nals {
                data.extend_from_slice(&u32::try_from(nal.len())?.to_be_bytes());
                data.extend_from_slice(nal);
            }
            let f = Frame {
                pts: 90_000 + n as i64 * 3600,
                wall_ms: T0 + n as i64 * 40,
                keyframe: cf.keyframe,
                data,
            };
            metas.push(FrameMeta {
                pts: f.pts,
                wall_ms: f.wall_ms,
                size: u32::try_from(f.data.len())?,
                keyframe: f.keyframe,
            });
            video_bytes += f.data.len() as u64;
            w.append(&f)?;
            n += 1;
        }
        let sealed = w.finish(LinkInput {
            camera: "cam1".into(),
            seq,
            prev,
            root: [0; 32],
            frames: 0,
            start_ms: first_wall,
            end_ms: T0 + (n as i64 - 1) * 40,
            gap_before: None,
        })?;
        prev = sealed.trailer.link;
        segment_bytes += std::fs::metadata(&path)?.len();
        sources.push(SegmentSource {
            seq,
            day: "2026-11-24".into(),
            path,
            key: key.clone(),
            link: prev,
            frames: metas,
        });
    }
    let checkpoint = ChainCheckpoint::sign(node, "cam1", seq, prev, T0 + frames as i64 * 40 + 1000);
    Ok(Hour { sources, checkpoint, segment_bytes, video_bytes, frames })
}

fn ffmpeg(args: &[&str]) -> anyhow::Result<()> {
    let ok = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .status()
        .context("ffmpeg is needed for the peer measurement")?;
    if !ok.success() {
        bail!("ffmpeg {args:?} failed");
    }
    Ok(())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

impl ExportBench {
    /// Runs the benchmark.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let tmp = super::bench::tempfile_dir()?;
        let result = self.measure(&tmp);
        let _ = std::fs::remove_dir_all(&tmp);
        result
    }

    fn measure(&self, tmp: &Path) -> anyhow::Result<ExitCode> {
        let clip_path = match &self.clip {
            Some(c) => c.clone(),
            None => super::bench::make_clip(tmp)?,
        };
        let clip = camsim::load_mp4(&clip_path)?;
        let frames = usize::try_from(self.minutes * 60 * 25)?;
        eprintln!(
            "writing {} min of {}x{} as sealed segments…",
            self.minutes, clip.width, clip.height
        );
        let seg_dir = tmp.join("segments");
        std::fs::create_dir_all(&seg_dir)?;
        let node = ed25519_dalek::SigningKey::from_bytes(&[9u8; 32]);
        let hour = record(&seg_dir, &clip, frames, &node)?;
        // The same frames as one MP4 for ffmpeg: the clip looped with -c copy.
        let loops = (frames / clip.frames.len()).max(1);
        let hour_mp4 = tmp.join("hour.mp4");
        ffmpeg(&[
            "-stream_loop",
            &(loops - 1).to_string(),
            "-i",
            &clip_path.to_string_lossy(),
            "-c",
            "copy",
            "-frames:v",
            &frames.to_string(),
            &hour_mp4.to_string_lossy(),
        ])?;
        let city = evidence::city::CityIdentity::generate("bench", 2048)?;
        let seg_list: Vec<String> =
            hour.sources.iter().map(|s| s.path.to_string_lossy().into_owned()).collect();
        let out = tmp.join("out");
        let (mut ex, mut cat, mut ff) = (Vec::new(), Vec::new(), Vec::new());
        // CPU seconds of each side (this process for the export: reader, writer and sync
        // threads; the waited-for children for cat and ffmpeg), and per-round ratios.
        let (mut ex_cpu, mut cat_cpu, mut ff_cpu) = (Vec::new(), Vec::new(), Vec::new());
        let (mut r_cat, mut r_ff) = (Vec::new(), Vec::new());
        use super::bench::cpu_time;
        use nix::sys::resource::UsageWho::{RUSAGE_CHILDREN, RUSAGE_SELF};
        let mb = hour.video_bytes as f64 / 1e6;
        // Warm the page cache for all inputs.
        Command::new("cat")
            .args(&seg_list)
            .arg(&hour_mp4)
            .stdout(std::process::Stdio::null())
            .status()?;
        for round in 0..self.rounds.max(1) {
            // Start each contender with the disk idle: the previous one's writes flushed.
            Command::new("sync").status()?;
            let t = Instant::now();
            let c0 = cpu_time(RUSAGE_SELF)?;
            let req = Request {
                package_id: format!("EV-bench-{round}"),
                profile: "kitakyushu".into(),
                refs: evidence::manifest::Refs::default(),
                operator: "bench".into(),
                node_id: "bench".into(),
                camera: "cam1".into(),
                site: None,
                camera_url: String::new(),
                from_ms: T0,
                to_ms: T0 + hour.frames as i64 * 40,
                now_ms: T0 + hour.frames as i64 * 40 + 60_000,
                segments: hour.sources.clone(),
                tail: Vec::new(),
                checkpoints: vec![hour.checkpoint.clone()],
                gaps: Vec::new(),
                signing: &node,
                city: &city,
                unit_name: "mimamori bench".into(),
                unit_url: String::new(),
            };
            let o = evidence::export::export(&req, &out, None)?;
            ex.push(t.elapsed().as_secs_f64());
            ex_cpu.push((cpu_time(RUSAGE_SELF)? - c0).as_secs_f64());
            if o.frames != hour.frames as u64 {
                bail!("the export holds {} frames, not {}", o.frames, hour.frames);
            }
            std::fs::remove_file(&out)?;

            Command::new("sync").status()?;
            let t = Instant::now();
            let c0 = cpu_time(RUSAGE_CHILDREN)? + cpu_time(RUSAGE_SELF)?;
            let f = std::fs::File::create(&out)?;
            let ok = Command::new("cat").args(&seg_list).stdout(f).status()?;
            // Durable like the package (which is fsynced before the extraction is recorded).
            std::fs::File::open(&out)?.sync_all()?;
            cat.push(t.elapsed().as_secs_f64());
            cat_cpu.push((cpu_time(RUSAGE_CHILDREN)? + cpu_time(RUSAGE_SELF)? - c0).as_secs_f64());
            if !ok.success() {
                bail!("cat failed");
            }
            std::fs::remove_file(&out)?;

            Command::new("sync").status()?;
            let t = Instant::now();
            let c0 = cpu_time(RUSAGE_CHILDREN)? + cpu_time(RUSAGE_SELF)?;
            let o = out.with_extension("mp4");
            ffmpeg(&[
                "-i",
                &hour_mp4.to_string_lossy(),
                "-c",
                "copy",
                "-f",
                "mp4",
                &o.to_string_lossy(),
            ])?;
            std::fs::File::open(&o)?.sync_all()?;
            ff.push(t.elapsed().as_secs_f64());
            ff_cpu.push((cpu_time(RUSAGE_CHILDREN)? + cpu_time(RUSAGE_SELF)? - c0).as_secs_f64());
            std::fs::remove_file(&o)?;
            r_cat.push(cat[round] / ex[round]);
            r_ff.push(ff[round] / ex[round]);
            eprintln!(
                "round {}: export {:.2} s ({:.2} CPU-s), cat {:.2} s ({:.2}), ffmpeg {:.2} s ({:.2})",
                round + 1,
                ex[round],
                ex_cpu[round],
                cat[round],
                cat_cpu[round],
                ff[round],
                ff_cpu[round]
            );
        }
        let (rc, rf) = (median(&mut r_cat), median(&mut r_ff));
        let (ec, cc, fc) = (median(&mut ex_cpu), median(&mut cat_cpu), median(&mut ff_cpu));
        let (e, c, f) = (median(&mut ex), median(&mut cat), median(&mut ff));
        let v = serde_json::json!({
            "minutes": self.minutes, "frames": hour.frames, "video_mb": mb,
            "segment_mb": hour.segment_bytes as f64 / 1e6,
            "export_s": e, "cat_s": c, "ffmpeg_s": f,
            "export_mb_s": mb / e, "cat_mb_s": hour.segment_bytes as f64 / 1e6 / c, "ffmpeg_mb_s": mb / f,
            "export_cpu_s": ec, "cat_cpu_s": cc, "ffmpeg_cpu_s": fc,
            "export_vs_cat": rc,
            "export_vs_ffmpeg": rf,
        });
        if self.json {
            println!("{}", serde_json::to_string_pretty(&v)?);
        } else {
            println!(
                "export of {} min ({} frames, {:.0} MB of video; {:.0} MB of sealed segments), medians of {} rounds:",
                self.minutes,
                hour.frames,
                mb,
                hour.segment_bytes as f64 / 1e6,
                self.rounds.max(1)
            );
            println!("  mimamori export  {e:>7.2} s  {:>7.1} MB/s  {ec:>6.2} CPU-s", mb / e);
            println!(
                "  cat segments     {c:>7.2} s  {:>7.1} MB/s  {cc:>6.2} CPU-s",
                hour.segment_bytes as f64 / 1e6 / c
            );
            println!("  ffmpeg -c copy   {f:>7.2} s  {:>7.1} MB/s  {fc:>6.2} CPU-s", mb / f);
            println!(
                "  export / cat rate = {rc:.2} (target ≥ 0.90); export / ffmpeg rate = {rf:.2} (target > 1) — medians of the per-round ratios"
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}
