//! `mimamori bench view`: what serving authorised viewings (issue 20) costs a recorder node, in
//! the same run as `cat` reading the same bytes. Footage is recorded the real way (camsim serving
//! a 1080p25 4 Mbit/s clip over RTSP to the recorder, 10 s segments); the recorder is then stopped
//! and its data directory reopened with no cameras, so the measurement sees playback alone:
//!
//! - **cost per viewed stream**: `--viewers` players at once, each walking its camera's whole
//!   recording chunk after chunk as fast as it is served (`recorder::playback::chunk`: the index,
//!   decryption of the frames asked, fragmented MP4). CPU seconds ÷ seconds of footage served =
//!   the share of one core a viewer playing at normal speed costs (target < 0.05);
//! - **time to first frame**: a chunk asked at random positions (a player's first request, or a
//!   seek), timed until its bytes are ready, against `cat` of the segment file it comes from
//!   (target < 1 s).
//!
//! The HTTP hop between browser and server is not in these figures (the API's own latency is
//! `bench api`'s); everything the node does for a viewing is.

use anyhow::{Context, bail};
use node::PlaybackAsk;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Options of `mimamori bench view`.
#[derive(Debug, clap::Args)]
pub struct ViewBench {
    /// Cameras recorded, one viewer each.
    #[arg(long, default_value_t = 4)]
    viewers: usize,
    /// Seconds of footage to record first.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Clip to serve (H.264 MP4, no B-frames). Default: 1080p25 4 Mbit/s made with ffmpeg.
    #[arg(long)]
    clip: Option<PathBuf>,
    /// Seeks timed per camera.
    #[arg(long, default_value_t = 20)]
    seeks: usize,
}

/// Chunk length asked, as the web player asks (ms).
const CHUNK_MS: i64 = 8_000;

impl ViewBench {
    /// Runs the benchmark.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        rt.block_on(self.run_async())?;
        Ok(ExitCode::SUCCESS)
    }

    async fn run_async(self) -> anyhow::Result<()> {
        let tmp = super::bench::tempfile_dir()?;
        let clip_path = match &self.clip {
            Some(c) => c.clone(),
            None => super::bench::make_clip(&tmp)?,
        };
        let clip = camsim::load_mp4(&clip_path)?;
        let (w, h) = (clip.width, clip.height);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        tokio::spawn(
            camsim::CamSim::new(clip, self.viewers, camsim::Faults::default()).serve(listener),
        );
        let data = tmp.join("node");
        let profile = policy::resolve_seed("asahikawa")?;
        let config = |cameras: usize| -> anyhow::Result<recorder::config::RecorderConfig> {
            let mut c = recorder::config::RecorderConfig::new("bench-view", &data);
            c.segment_ms = 10_000;
            c.cameras = (1..=cameras)
                .map(|i| {
                    let url = format!("rtsp://127.0.0.1:{port}/cam{i}");
                    recorder::config::CameraConfig::from_url(&format!("cam{i}"), &url)
                })
                .collect::<Result<_, _>>()?;
            Ok(c)
        };
        eprintln!("recording {} s of {} cameras ({w}x{h})…", self.seconds, self.viewers);
        let rec = recorder::Recorder::start(
            config(self.viewers)?,
            profile.clone(),
            server::clock::Clock::System,
        )
        .await?;
        tokio::time::sleep(Duration::from_secs(self.seconds)).await;
        rec.stop().await;
        // The same data directory, no cameras: playback alone.
        let rec =
            recorder::Recorder::start(config(0)?, profile, server::clock::Clock::System).await?;
        let ctx = rec.ctx.clone();

        let mut ranges = Vec::new();
        for i in 1..=self.viewers {
            let rows = ctx.db.segments_of(&format!("cam{i}")).await?;
            let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
                bail!("cam{i} recorded nothing");
            };
            ranges.push((format!("cam{i}"), first.start_ms, last.end_ms + 1, rows));
        }

        // Cost per viewed stream: every viewer walks its whole recording at once.
        let cpu0 = super::bench::cpu_time(nix::sys::resource::UsageWho::RUSAGE_SELF)?;
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        for (cam, from, to, _) in &ranges {
            let (ctx, cam, from, to) = (ctx.clone(), cam.clone(), *from, *to);
            tasks.push(tokio::spawn(async move {
                let mut at = from;
                let (mut served_ms, mut bytes) = (0i64, 0usize);
                loop {
                    let ask = PlaybackAsk {
                        camera: &cam,
                        from_ms: at,
                        length_ms: CHUNK_MS,
                        range: (from, to),
                        origin_ms: from,
                    };
                    let c = recorder::playback::chunk(&ctx, ask).await?;
                    served_ms += c.end_ms - c.start_ms;
                    bytes += c.init.len() + c.media.len();
                    at = c.end_ms;
                    if c.complete {
                        return anyhow::Ok((served_ms, bytes));
                    }
                }
            }));
        }
        let (mut served_ms, mut served_bytes) = (0i64, 0usize);
        for t in tasks {
            let (s, b) = t.await??;
            served_ms += s;
            served_bytes += b;
        }
        let wall = t0.elapsed();
        let cpu = super::bench::cpu_time(nix::sys::resource::UsageWho::RUSAGE_SELF)? - cpu0;
        // cat of the same segment files, same run.
        let c0 = Instant::now();
        let mut cat_bytes = 0u64;
        for (_, _, _, rows) in &ranges {
            for r in rows {
                let out =
                    std::process::Command::new("cat").arg(ctx.segment_file(&r.path)).output()?;
                cat_bytes += out.stdout.len() as u64;
            }
        }
        let cat_wall = c0.elapsed();
        let per_stream = cpu.as_secs_f64() / (served_ms as f64 / 1000.0);

        // Time to first frame: a chunk at random positions, against cat of its segment file.
        let mut ttff = Vec::new();
        let mut cats = Vec::new();
        for (cam, from, to, rows) in &ranges {
            for k in 0..self.seeks {
                let at =
                    from + (to - from) * (k as i64 * 7919 % self.seeks as i64) / self.seeks as i64;
                let t = Instant::now();
                let ask = PlaybackAsk {
                    camera: cam,
                    from_ms: at,
                    length_ms: CHUNK_MS,
                    range: (*from, *to),
                    origin_ms: *from,
                };
                let c = recorder::playback::chunk(&ctx, ask).await?;
                ttff.push(t.elapsed());
                let row = rows
                    .iter()
                    .find(|r| r.start_ms <= c.start_ms && c.start_ms <= r.end_ms)
                    .context("the chunk's segment")?;
                let t = Instant::now();
                std::process::Command::new("cat").arg(ctx.segment_file(&row.path)).output()?;
                cats.push(t.elapsed());
            }
        }
        rec.stop().await;
        ttff.sort();
        cats.sort();
        let pct = |v: &[Duration], p: f64| {
            v[((v.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1000.0
        };
        println!(
            "playback of {} cameras ({w}x{h}), {:.0} s of footage each, {} viewers at once:",
            self.viewers,
            served_ms as f64 / 1000.0 / self.viewers as f64,
            self.viewers
        );
        println!(
            "  served {:.0} s of footage ({:.1} MB) in {:.2} s wall, {:.3} CPU-s; cat of the same {:.1} MB of segments {:.2} s",
            served_ms as f64 / 1000.0,
            served_bytes as f64 / 1e6,
            wall.as_secs_f64(),
            cpu.as_secs_f64(),
            cat_bytes as f64 / 1e6,
            cat_wall.as_secs_f64()
        );
        println!(
            "  cost per viewed stream at normal speed: {:.4} of a core (target < 0.05) — {}",
            per_stream,
            if per_stream < 0.05 { "met" } else { "NOT met" }
        );
        println!(
            "  time to first frame (chunk ready), {} asks: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms (target < 1000 ms) — {}; cat of its segment file p50 {:.1} ms",
            ttff.len(),
            pct(&ttff, 0.5),
            pct(&ttff, 0.95),
            pct(&ttff, 1.0),
            if pct(&ttff, 1.0) < 1000.0 { "met" } else { "NOT met" },
            pct(&cats, 0.5)
        );
        let _ = std::fs::remove_dir_all(&tmp);
        Ok(())
    }
}
