//! `mimamori bench mask`: decode + mask + encode frames per second on one core, against
//! `ffmpeg -threads 1 … -vf drawbox=…:t=fill -c:v libx264 -preset ultrafast` in the same run,
//! with the picture quality outside the mask (PSNR against the decoded source) for both.

use super::bench::cpu_time;
use anyhow::{Context, bail};
use clap::Args;
use masking::{Masker, Polygon, Settings, build_avcc};
use nix::sys::resource::UsageWho;
use openh264::decoder::Decoder;
use openh264::formats::YUVSource;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

/// Options of `mimamori bench mask`.
#[derive(Debug, Args)]
pub struct MaskBench {
    /// Picture width.
    #[arg(long, default_value_t = 1280)]
    pub width: u32,
    /// Picture height.
    #[arg(long, default_value_t = 720)]
    pub height: u32,
    /// Seconds of 25 fps video.
    #[arg(long, default_value_t = 12)]
    pub seconds: u32,
    /// Source bitrate, bits per second (the re-encode targets the same).
    #[arg(long, default_value_t = 3_000_000)]
    pub bitrate: u32,
    /// Bitrate of the re-encode (default: the source's). Raise it to compare at equal PSNR.
    #[arg(long)]
    pub encode_bitrate: Option<u32>,
    /// Alternating rounds; the best of each side is reported.
    #[arg(long, default_value_t = 3)]
    pub rounds: u32,
}

/// Decodes Annex B access units into contiguous I420 pictures.
fn decode_all(units: &[Vec<u8>]) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut d = Decoder::new()?;
    let mut out = Vec::new();
    for u in units {
        if let Some(y) = d.decode(u)? {
            out.push(i420(&y));
        }
    }
    for y in d.flush_remaining()? {
        out.push(i420(&y));
    }
    Ok(out)
}

fn i420(y: &impl YUVSource) -> Vec<u8> {
    let (w, h) = y.dimensions();
    let (sy, su, sv) = y.strides();
    let mut buf = Vec::with_capacity(w * h * 3 / 2);
    for r in 0..h {
        buf.extend_from_slice(&y.y()[r * sy..r * sy + w]);
    }
    for r in 0..h / 2 {
        buf.extend_from_slice(&y.u()[r * su..r * su + w / 2]);
    }
    for r in 0..h / 2 {
        buf.extend_from_slice(&y.v()[r * sv..r * sv + w / 2]);
    }
    buf
}

/// Stored frames (length-prefixed, parameter sets in the avcC) as Annex B access units with
/// the parameter sets in front of keyframes, for a decoder.
fn annexb_units(frames: &[masking::MaskedFrame], avcc: &[u8]) -> anyhow::Result<Vec<Vec<u8>>> {
    let (sps, pps) = masking::parse_avcc(avcc)?;
    let (Some(sps), Some(pps)) = (sps.first(), pps.first()) else {
        bail!("the avcC holds no parameter sets");
    };
    let mut units = Vec::with_capacity(frames.len());
    for f in frames {
        let mut u = Vec::new();
        let params = [sps.as_slice(), pps.as_slice()];
        let nals = masking::avcc_nals(&f.data)?;
        for nal in params.iter().filter(|_| f.keyframe).copied().chain(nals) {
            u.extend_from_slice(&[0, 0, 0, 1]);
            u.extend_from_slice(nal);
        }
        units.push(u);
    }
    Ok(units)
}

/// PSNR of the luma outside `masked` (a predicate on pixel coordinates), averaged over frames.
fn psnr_outside(
    src: &[Vec<u8>],
    out: &[Vec<u8>],
    w: usize,
    h: usize,
    masked: &dyn Fn(usize, usize) -> bool,
) -> f64 {
    let (mut se, mut n) = (0f64, 0f64);
    for (s, o) in src.iter().zip(out) {
        for y in 0..h {
            for x in 0..w {
                if !masked(x, y) {
                    let d = f64::from(s[y * w + x]) - f64::from(o[y * w + x]);
                    se += d * d;
                    n += 1.0;
                }
            }
        }
    }
    let mse = se / n.max(1.0);
    if mse == 0.0 { 99.0 } else { 10.0 * (255.0f64 * 255.0 / mse).log10() }
}

impl MaskBench {
    /// Runs the benchmark.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let (w, h) = (self.width as usize & !15, self.height as usize & !15);
        if w < 64 || h < 64 {
            bail!("the picture must be at least 64×64");
        }
        if self.rounds == 0 {
            bail!("--rounds must be at least 1");
        }
        println!("synthesising {} s of {w}×{h} 25 fps at {} bit/s…", self.seconds, self.bitrate);
        let clip = camsim::synthesize(w as u32, h as u32, 25, self.bitrate, self.seconds)?;
        let tmp = super::bench::tempfile_dir()?;
        let src_path = tmp.join("clip.h264");
        let mut units = Vec::new();
        for f in &clip.frames {
            let mut u = Vec::new();
            let params = [clip.sps.as_slice(), clip.pps.as_slice()];
            for nal in params
                .iter()
                .filter(|_| f.keyframe)
                .copied()
                .chain(f.nals.iter().map(Vec::as_slice))
            {
                u.extend_from_slice(&[0, 0, 0, 1]);
                u.extend_from_slice(nal);
            }
            units.push(u);
        }
        std::fs::write(&src_path, units.concat())?;
        let frames = clip.frames.len();
        // The mask: a house entrance, 25 % × 30 % of the picture, macroblock-aligned so that
        // both sides black out exactly the same pixels.
        let (bx, by, bw, bh) = ((w / 10) & !15, (h / 10) & !15, (w / 4) & !15, (h * 3 / 10) & !15);
        let poly = Polygon::from_pairs(&[
            (bx as f64 / w as f64, by as f64 / h as f64),
            ((bx + bw) as f64 / w as f64, by as f64 / h as f64),
            ((bx + bw) as f64 / w as f64, (by + bh) as f64 / h as f64),
            (bx as f64 / w as f64, (by + bh) as f64 / h as f64),
        ]);
        #[cfg_attr(feature = "libav", allow(unused_variables))]
        let cam_avcc = build_avcc(&clip.sps, &clip.pps);
        let inputs: Vec<(Vec<u8>, bool)> = clip
            .frames
            .iter()
            .map(|f| {
                let mut v = Vec::new();
                for n in &f.nals {
                    v.extend_from_slice(&(n.len() as u32).to_be_bytes());
                    v.extend_from_slice(n);
                }
                (v, f.keyframe)
            })
            .collect();
        let drawbox = format!("drawbox=x={bx}:y={by}:w={bw}:h={bh}:color=black:t=fill");
        let ffmpeg = |out: &str| {
            let mut c = Command::new("ffmpeg");
            c.args(["-hide_banner", "-loglevel", "error", "-threads", "1", "-i"])
                .arg(&src_path)
                .args([
                    "-filter_threads",
                    "1",
                    "-vf",
                    &drawbox,
                    "-c:v",
                    "libx264",
                    "-preset",
                    "ultrafast",
                ])
                .args(["-profile:v", "baseline", "-threads", "1", "-y"]);
            if out == "-" {
                c.args(["-f", "null", "-"]);
            } else {
                c.args(["-f", "h264", out]);
            }
            c.stdout(Stdio::null()).stderr(Stdio::piped());
            c
        };
        let (mut ours_best, mut ff_best) = (f64::MAX, f64::MAX);
        let (mut ours_cpu_best, mut ff_cpu_best) = (f64::MAX, f64::MAX);
        // Each round's ratio: both sides measured back to back, under the same machine weather.
        let mut ratios = Vec::new();
        let mut ours_out: Vec<Vec<u8>> = Vec::new();
        // The libav build's second side: libavcodec decode + mask + libx264 (GPL build).
        #[cfg(feature = "libav")]
        let (mut x_cpu_best, mut x_ratios, mut x_out) = (f64::MAX, Vec::new(), Vec::new());
        for round in 0..self.rounds {
            // Ours, on this thread (one core).
            let mut m = Masker::new(
                vec![poly.clone()],
                Settings { bitrate: self.encode_bitrate.unwrap_or(self.bitrate), fps: 25.0 },
            )?;
            let mut out = Vec::with_capacity(frames);
            #[cfg(feature = "libav")]
            let mut lav = masking::libav::Libav::new()?;
            let t = Instant::now();
            let c = cpu_time(UsageWho::RUSAGE_THREAD)?;
            #[cfg(not(feature = "libav"))]
            for (data, key) in &inputs {
                if let Some(f) = m.process(data, *key, &cam_avcc)? {
                    out.push(f);
                }
            }
            // libavcodec decodes, openh264 encodes (the Annex B units are the same input).
            #[cfg(feature = "libav")]
            for ((_, key), unit) in inputs.iter().zip(&units) {
                if let Some((w, h)) = lav.decode(unit, m.picture_buffer())?
                    && let Some(f) = m.mask_and_encode(w, h, *key)?
                {
                    out.push(f);
                }
            }
            let ours = t.elapsed().as_secs_f64();
            let ours_cpu = (cpu_time(UsageWho::RUSAGE_THREAD)? - c).as_secs_f64();
            ours_best = ours_best.min(ours);
            ours_cpu_best = ours_cpu_best.min(ours_cpu);
            #[cfg(feature = "libav")]
            let x_cpu = {
                let mut x = masking::libav::X264Masker::new(
                    vec![poly.clone()],
                    Settings { bitrate: self.encode_bitrate.unwrap_or(self.bitrate), fps: 25.0 },
                )?;
                let mut out = Vec::with_capacity(frames);
                let c = cpu_time(UsageWho::RUSAGE_THREAD)?;
                for ((_, key), unit) in inputs.iter().zip(&units) {
                    if let Some(f) = x.process(unit, *key)? {
                        out.push(f);
                    }
                }
                let x_cpu = (cpu_time(UsageWho::RUSAGE_THREAD)? - c).as_secs_f64();
                x_cpu_best = x_cpu_best.min(x_cpu);
                if round == 0 {
                    x_out = annexb_units(&out, &x.avcc().context("no x264 output")?)?;
                }
                x_cpu
            };
            let t = Instant::now();
            let c = cpu_time(UsageWho::RUSAGE_CHILDREN)?;
            let o = ffmpeg("-").output().context("run ffmpeg (apt-get install ffmpeg)")?;
            let ff = t.elapsed().as_secs_f64();
            let ff_cpu = (cpu_time(UsageWho::RUSAGE_CHILDREN)? - c).as_secs_f64();
            ff_cpu_best = ff_cpu_best.min(ff_cpu);
            ratios.push(ff_cpu / ours_cpu);
            #[cfg(feature = "libav")]
            {
                x_ratios.push(ff_cpu / x_cpu);
                println!("  libx264 side: {:.1} fps per CPU second", frames as f64 / x_cpu);
            }
            if !o.status.success() {
                bail!("ffmpeg failed: {}", String::from_utf8_lossy(&o.stderr));
            }
            ff_best = ff_best.min(ff);
            println!(
                "round {}: mimamori {:.1} fps ({:.1} per CPU second), ffmpeg {:.1} fps ({:.1} per CPU second)",
                round + 1,
                frames as f64 / ours,
                frames as f64 / ours_cpu,
                frames as f64 / ff,
                frames as f64 / ff_cpu,
            );
            if round == 0 {
                ours_out = annexb_units(&out, &m.avcc().context("no output")?)?;
            }
        }
        // Quality outside the mask, both decoded by the same decoder.
        let ff_path = tmp.join("ffmpeg.h264");
        let o = ffmpeg(ff_path.to_str().unwrap_or("ffmpeg.h264")).output()?;
        if !o.status.success() {
            bail!("ffmpeg failed: {}", String::from_utf8_lossy(&o.stderr));
        }
        let ff_units: Vec<Vec<u8>> = {
            let bytes = std::fs::read(&ff_path)?;
            let nals = masking::annexb_nals(&bytes);
            // One access unit per picture: start a new one at each slice after a slice.
            let mut aus: Vec<Vec<u8>> = Vec::new();
            let mut cur: Vec<u8> = Vec::new();
            let mut has_slice = false;
            for n in nals {
                let t = n.first().map_or(0, |b| b & 0x1f);
                let is_slice = t == 1 || t == 5;
                if has_slice && (is_slice || t != 12) {
                    aus.push(std::mem::take(&mut cur));
                    has_slice = false;
                }
                cur.extend_from_slice(&[0, 0, 0, 1]);
                cur.extend_from_slice(n);
                has_slice |= is_slice;
            }
            if !cur.is_empty() {
                aus.push(cur);
            }
            aus
        };
        let src = decode_all(&units)?;
        let ours_dec = decode_all(&ours_out)?;
        let ff_dec = decode_all(&ff_units)?;
        let masked = |x: usize, y: usize| x >= bx && x < bx + bw && y >= by && y < by + bh;
        let q_ours = psnr_outside(&src, &ours_dec, w, h, &masked);
        let q_ff = psnr_outside(&src, &ff_dec, w, h, &masked);
        let (fo, ff) = (frames as f64 / ours_cpu_best, frames as f64 / ff_cpu_best);
        let (wo, wf) = (frames as f64 / ours_best, frames as f64 / ff_best);
        let bytes_ours: usize = ours_out.iter().map(Vec::len).sum();
        let bytes_ff = std::fs::metadata(&ff_path)?.len();
        println!();
        println!(
            "{w}×{h}, {frames} frames, best of {} rounds, one core each, frames per CPU second (wall clock):",
            self.rounds
        );
        let decoder = if cfg!(feature = "libav") { "libavcodec" } else { "openh264" };
        println!(
            "  mimamori ({decoder} decode + mask + openh264 encode): {fo:.1} fps ({wo:.1}), PSNR outside the mask {q_ours:.2} dB, {:.2} Mbit/s",
            bytes_ours as f64 * 8.0 / f64::from(self.seconds) / 1e6
        );
        println!(
            "  ffmpeg -threads 1 (h264 decode + drawbox + libx264 ultrafast baseline): {ff:.1} fps ({wf:.1}), PSNR {q_ff:.2} dB, {:.2} Mbit/s",
            bytes_ff as f64 * 8.0 / f64::from(self.seconds) / 1e6
        );
        ratios.sort_by(f64::total_cmp);
        let median = ratios[ratios.len() / 2];
        println!(
            "  ratio mimamori / ffmpeg: {median:.2} (median of the rounds' ratios, per CPU second; target ≥ 0.80); best against best {:.2}, by the wall clock {:.2}",
            fo / ff,
            wo / wf
        );
        #[cfg(feature = "libav")]
        {
            let x_dec = decode_all(&x_out)?;
            let q_x = psnr_outside(&src, &x_dec, w, h, &masked);
            let bytes_x: usize = x_out.iter().map(Vec::len).sum();
            x_ratios.sort_by(f64::total_cmp);
            let fx = frames as f64 / x_cpu_best;
            println!(
                "  mimamori (libavcodec decode + mask + libx264 ultrafast, GPL build): {fx:.1} fps, PSNR outside the mask {q_x:.2} dB, {:.2} Mbit/s, {} frames decoded",
                bytes_x as f64 * 8.0 / f64::from(self.seconds) / 1e6,
                x_dec.len()
            );
            println!(
                "  ratio mimamori (libx264) / ffmpeg: {:.2} (median of the rounds' ratios, per CPU second); best against best {:.2}",
                x_ratios[x_ratios.len() / 2],
                fx / ff
            );
            println!(
                "  masked {w}×{h} 25 fps cameras per 2-core node with libx264 (80 % of both cores): {}",
                (2.0 * 0.8 * fx / 25.0).floor()
            );
        }
        println!(
            "  masked {w}×{h} 25 fps cameras per 2-core node with openh264 (80 % of both cores): {}",
            (2.0 * 0.8 * fo / 25.0).floor()
        );
        println!(
            "  decoded frames: source {}, mimamori {}, ffmpeg {}",
            src.len(),
            ours_dec.len(),
            ff_dec.len()
        );
        std::fs::remove_dir_all(&tmp).ok();
        Ok(ExitCode::SUCCESS)
    }
}
