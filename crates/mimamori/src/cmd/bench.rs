//! `mimamori bench ingest`: the recorder's cost per stream against its peers recording the same
//! streams, measured in the same run on the same machine, rounds alternating: Moonfire NVR, the
//! floor (a bare `retina` pull that discards every frame, [`super::bench_peers`]) and ffmpeg
//! recording the way simple NVRs do (`-c copy -f segment`, one process per camera).

use anyhow::{Context, bail};
use clap::Subcommand;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// Benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchCmd {
    /// Recording cost per stream: mimamori's recorder vs Moonfire NVR, a bare retina pull (the
    /// floor) and ffmpeg -c copy -f segment, alternating rounds on one camera farm.
    Ingest {
        /// Simulated cameras.
        #[arg(long, default_value_t = 25)]
        cameras: usize,
        /// Measured seconds (after a warm-up).
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// Warm-up seconds before measuring.
        #[arg(long, default_value_t = 10)]
        warmup: u64,
        /// Clip to serve (H.264 MP4, no B-frames). Default: 1080p25 4 Mbit/s made with ffmpeg.
        #[arg(long)]
        clip: Option<PathBuf>,
        /// Skip the ffmpeg peer (only when ffmpeg is unavailable; the ratio is then not printed).
        #[arg(long)]
        no_ffmpeg: bool,
        /// Rounds: the recorder's and the peers' windows alternate; medians are reported (this
        /// damps a noisy machine).
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Moonfire NVR's binary (default: `shared/tools/peers/moonfire-nvr` beside the
        /// repository, if it is there; its `moonfire-configure.py` must sit beside it).
        #[arg(long)]
        moonfire: Option<PathBuf>,
        /// Skip Moonfire NVR.
        #[arg(long)]
        no_moonfire: bool,
        /// Skip the floor (a bare retina pull of every stream).
        #[arg(long)]
        no_floor: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Export speed: an evidence package of recorded footage vs `cat` of the same segment files
    /// and `ffmpeg -c copy` remuxing the same video.
    Export(super::bench_export::ExportBench),
    /// Privacy-mask burn-in speed: decode + mask + encode fps on one core vs ffmpeg's
    /// decode + drawbox + libx264 ultrafast, with PSNR outside the mask for both.
    Mask(super::bench_mask::MaskBench),
    /// The governance server under a mixed workload of 10/50/200 users over real HTTP: p50/p99
    /// per kind, throughput, errors, server CPU and RSS, unaudited changes (SQLite, and
    /// PostgreSQL with --postgres).
    Api(super::bench_api::ApiBench),
    /// A centre governing recorder node processes (issue 21): the centre's CPU and RSS per
    /// camera and per node at rest, and API p50/p99 under simulated users with the fleet attached.
    Fleet(super::bench_fleet::FleetBench),
    /// Serving viewings (issue 20): CPU per viewed stream and time to first frame on the
    /// recorder node, against `cat` of the same segment files.
    View(super::bench_view::ViewBench),
    /// The floor of `bench ingest`: pull these RTSP streams with retina, discard every frame,
    /// print the count once a second until SIGTERM.
    #[command(hide = true)]
    Pull {
        /// `rtsp://…` URLs.
        urls: Vec<String>,
    },
}

pub(super) struct Proc(pub(super) Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// utime + stime of a process, in seconds.
fn cpu_secs(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = stat.rsplit_once(')').context("malformed /proc stat")?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = f[11].parse::<f64>()? + f[12].parse::<f64>()?;
    Ok(ticks / 100.0) // USER_HZ is 100 on Linux
}

/// Peak resident set size (VmHWM), bytes.
fn peak_rss(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).context("no VmHWM")?;
    let kb: u64 = line.split_whitespace().nth(1).context("VmHWM")?.parse()?;
    Ok(kb * 1024)
}

pub(super) fn wait_port(port: u16) -> anyhow::Result<()> {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(120) {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    bail!("nothing listens on {port}")
}

pub(super) fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

pub(super) fn make_clip(dir: &Path) -> anyhow::Result<PathBuf> {
    let out = dir.join("clip.mp4");
    let ok = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=1920x1080:rate=25",
            "-t",
            "20",
        ])
        .args([
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-profile:v",
            "high",
            "-bf",
            "0",
            "-g",
            "50",
            "-keyint_min",
            "50",
            "-sc_threshold",
            "0",
        ])
        .args(["-pix_fmt", "yuv420p", "-b:v", "4M", "-maxrate", "4M", "-bufsize", "8M"])
        .arg(&out)
        .status()
        .context("ffmpeg is needed to make the benchmark clip (or pass --clip)")?;
    if !ok.success() {
        bail!("ffmpeg could not make the clip");
    }
    Ok(out)
}

pub(super) fn sigterm(pid: u32) {
    let _ = Command::new("kill").arg("-TERM").arg(pid.to_string()).status();
}

/// Measures a set of processes: total CPU seconds over the window, peak RSS.
pub(super) fn measure(pids: &[u32], warmup: u64, seconds: u64) -> anyhow::Result<(f64, u64, u64)> {
    std::thread::sleep(Duration::from_secs(warmup));
    let start: f64 = pids.iter().map(|p| cpu_secs(*p)).sum::<anyhow::Result<f64>>()?;
    let t = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    let end: f64 = pids.iter().map(|p| cpu_secs(*p)).sum::<anyhow::Result<f64>>()?;
    let wall = t.elapsed().as_secs_f64();
    let rss_total: u64 = pids.iter().map(|p| peak_rss(*p)).sum::<anyhow::Result<u64>>()?;
    let rss_max: u64 = pids
        .iter()
        .map(|p| peak_rss(*p))
        .collect::<anyhow::Result<Vec<u64>>>()?
        .into_iter()
        .max()
        .unwrap_or(0);
    Ok(((end - start) / wall, rss_total, rss_max))
}

impl BenchCmd {
    /// Runs the benchmark.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        let (cameras, seconds, warmup, clip, no_ffmpeg, rounds, json, moonfire, no_floor) =
            match self {
                BenchCmd::Ingest {
                    cameras,
                    seconds,
                    warmup,
                    clip,
                    no_ffmpeg,
                    rounds,
                    json,
                    moonfire,
                    no_moonfire,
                    no_floor,
                } => {
                    let moonfire = if no_moonfire {
                        None
                    } else {
                        super::bench_peers::moonfire_binary(moonfire)
                    };
                    (cameras, seconds, warmup, clip, no_ffmpeg, rounds, json, moonfire, no_floor)
                }
                BenchCmd::Pull { urls } => return super::bench_peers::pull(urls),
                BenchCmd::Export(b) => return b.run(),
                BenchCmd::Mask(b) => return b.run(),
                BenchCmd::Api(b) => return b.run(),
                BenchCmd::Fleet(b) => return b.run(),
                BenchCmd::View(b) => return b.run(),
            };
        let me = std::env::current_exe()?;
        let tmp = tempfile_dir()?;
        let clip = match clip {
            Some(c) => c,
            None => make_clip(&tmp)?,
        };
        let port = free_port()?;
        let mut sim = Proc(
            Command::new(&me)
                .args([
                    "camsim",
                    "--cameras",
                    &cameras.to_string(),
                    "--port",
                    &port.to_string(),
                    "--clip",
                ])
                .arg(&clip)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()?,
        );
        wait_port(port)?;
        let url = |i: usize| format!("rtsp://127.0.0.1:{port}/cam{i}");

        let mut rec_runs = Vec::new();
        let mut losses = Vec::new();
        let mut ff_runs = Vec::new();
        let mut mf_runs: Vec<super::bench_peers::Round> = Vec::new();
        let mut floor_runs: Vec<super::bench_peers::Round> = Vec::new();
        for round in 0..rounds.max(1) {
            if let Some(mf) = &moonfire {
                let dir = tmp.join(format!("moonfire{round}"));
                mf_runs.push(super::bench_peers::moonfire_round(
                    mf, &dir, cameras, &url, warmup, seconds,
                )?);
            }
            if !no_floor {
                floor_runs
                    .push(super::bench_peers::floor_round(&me, cameras, &url, warmup, seconds)?);
            }
            // mimamori's recorder, as its own process.
            let data = tmp.join(format!("rec{round}"));
            let mut cmd = Command::new(&me);
            cmd.args([
                "serve",
                "--role",
                "recorder",
                "--profile",
                "kitakyushu",
                "--min-free-mib",
                "256",
            ])
            .arg("--data")
            .arg(&data);
            for i in 1..=cameras {
                cmd.arg("--camera").arg(format!("cam{i}={}", url(i)));
            }
            let mut rec = Proc(
                cmd.env("RUST_LOG", "error").stdout(Stdio::null()).stderr(Stdio::null()).spawn()?,
            );
            let window_start = jiff::Timestamp::now().as_millisecond() + (warmup as i64) * 1000;
            let (cpu, rss, _) = measure(&[rec.0.id()], warmup, seconds)?;
            let window_end = jiff::Timestamp::now().as_millisecond();
            sigterm(rec.0.id());
            rec.0.wait()?;
            // Frames stored in the measured window, from the node index.
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let (stored, total_stored, unexpected_gaps) = rt.block_on(async {
                let db = recorder::db::NodeDb::open(&data).await?;
                let mut stored = 0i64;
                let mut total = 0i64;
                let mut gaps = 0usize;
                for i in 1..=cameras {
                    let cam = format!("cam{i}");
                    for s in db.segments_of(&cam).await? {
                        total += s.frames;
                        stored += recorder::index::decode(&s.frame_index)
                            .unwrap_or_default()
                            .iter()
                            .filter(|e| e.wall_ms >= window_start && e.wall_ms < window_end)
                            .count() as i64;
                    }
                    gaps += db
                        .gaps_between(&cam, 0, i64::MAX)
                        .await?
                        .iter()
                        .filter(|g| g.2 != "recording not yet started" && g.2 != "recorder stopped")
                        .count();
                }
                db.close().await;
                anyhow::Ok((stored, total, gaps))
            })?;
            // What the recorder counted (written at its clean stop): frames written, RTP packets
            // lost on the way, frames dropped.
            let status: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(data.join("status.json"))?)?;
            let cams = status["cameras"].as_array().cloned().unwrap_or_default();
            let sum = |k: &str| cams.iter().map(|c| c[k].as_i64().unwrap_or(0)).sum::<i64>();
            let (counted, lost_packets, dropped) =
                (sum("frames"), sum("lost_packets"), sum("dropped"));
            let expected = (cameras as f64) * 25.0 * ((window_end - window_start) as f64 / 1000.0);
            let _ = std::fs::remove_dir_all(&data);
            rec_runs.push((cpu, rss, stored, expected));
            losses.push(serde_json::json!({
                "frames_stored_total": total_stored,
                "frames_counted_by_recorder": counted,
                "rtp_packets_lost": lost_packets,
                "frames_dropped_waiting_for_first_keyframe": dropped,
                "unexpected_gaps": unexpected_gaps,
            }));
            if !no_ffmpeg {
                // ffmpeg, one process per camera.
                let out = tmp.join(format!("ffmpeg{round}"));
                std::fs::create_dir_all(&out)?;
                let mut procs = Vec::new();
                for i in 1..=cameras {
                    let p = Command::new("ffmpeg")
                        .args([
                            "-hide_banner",
                            "-loglevel",
                            "error",
                            "-rtsp_transport",
                            "tcp",
                            "-i",
                            &url(i),
                            "-c",
                            "copy",
                            "-f",
                            "segment",
                            "-segment_time",
                            "60",
                            "-reset_timestamps",
                            "1",
                        ])
                        .arg(out.join(format!("cam{i}-%03d.mp4")))
                        .stdin(Stdio::null())
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .spawn()
                        .context("ffmpeg")?;
                    procs.push(Proc(p));
                }
                let pids: Vec<u32> = procs.iter().map(|p| p.0.id()).collect();
                ff_runs.push(measure(&pids, warmup, seconds)?);
                for p in &procs {
                    sigterm(p.0.id());
                }
                drop(procs);
                let _ = std::fs::remove_dir_all(&out);
            }
        }
        let median = |mut v: Vec<f64>| {
            v.sort_by(|a, b| a.total_cmp(b));
            v[v.len() / 2]
        };
        let rec_cpu = median(rec_runs.iter().map(|r| r.0).collect());
        let rec_rss = rec_runs.iter().map(|r| r.1).max().unwrap_or(0);
        let stored: i64 = rec_runs.iter().map(|r| r.2).sum();
        let expected: f64 = rec_runs.iter().map(|r| r.3).sum();
        let lost_note =
            rec_runs.iter().map(|r| format!("{:.3}", r.0)).collect::<Vec<_>>().join(", ");
        let ff = (!ff_runs.is_empty()).then(|| {
            (
                median(ff_runs.iter().map(|r| r.0).collect()),
                ff_runs.iter().map(|r| r.1).max().unwrap_or(0),
                ff_runs.iter().map(|r| r.2).max().unwrap_or(0),
            )
        });
        let ff_note = ff_runs.iter().map(|r| format!("{:.3}", r.0)).collect::<Vec<_>>().join(", ");
        sigterm(sim.0.id());
        let mut sent = String::new();
        if let Some(out) = sim.0.stdout.take() {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if line.starts_with("camsim: sent") {
                    sent = line;
                }
            }
        }
        let _ = sim.0.wait();
        let per_stream = rec_cpu * 100.0 / cameras as f64;
        let rec_rss_per_stream = rec_rss as f64 / (1 << 20) as f64 / cameras as f64;
        // The peers in one shape: median cores, peak RSS, frames kept / sent in the windows.
        let peer = |runs: &[super::bench_peers::Round]| {
            (!runs.is_empty()).then(|| {
                let cpu = median(runs.iter().map(|r| r.cpu).collect());
                let rss = runs.iter().map(|r| r.rss).max().unwrap_or(0) as f64 / (1 << 20) as f64;
                let frames: f64 = runs.iter().map(|r| r.frames).sum();
                let expected: f64 = runs.iter().map(|r| r.expected).sum();
                let rounds = runs.iter().map(|r| format!("{:.3}", r.cpu)).collect::<Vec<_>>();
                serde_json::json!({
                    "cpu_cores": cpu,
                    "cpu_percent_per_stream": cpu * 100.0 / cameras as f64,
                    "peak_rss_mib": rss,
                    "rss_mib_per_stream": rss / cameras as f64,
                    "frames_kept_in_window": frames.round(),
                    "frames_expected_in_window": expected.round(),
                    "cpu_cores_per_round": rounds.join(", "),
                    "ratio_recorder_to_peer_cpu": rec_cpu / cpu,
                })
            })
        };
        let (mf, floor) = (peer(&mf_runs), peer(&floor_runs));
        let report = serde_json::json!({
            "cameras": cameras,
            "seconds": seconds,
            "clip": clip.display().to_string(),
            "recorder": {
                "cpu_cores": rec_cpu,
                "cpu_percent_per_stream": per_stream,
                "peak_rss_mib": rec_rss as f64 / (1 << 20) as f64,
                "rss_mib_per_stream": rec_rss as f64 / (1 << 20) as f64 / cameras as f64,
                "frames_stored_in_window": stored,
                "frames_expected_in_window": expected.round(),
                "cpu_cores_per_round": lost_note,
                "loss_per_round": losses,
            },
            "ffmpeg": ff.map(|(cpu, rss_total, rss_max)| serde_json::json!({
                "cpu_cores": cpu,
                "cpu_percent_per_stream": cpu * 100.0 / cameras as f64,
                "peak_rss_mib_total": rss_total as f64 / (1 << 20) as f64,
                "peak_rss_mib_per_process": rss_max as f64 / (1 << 20) as f64,
                "cpu_cores_per_round": ff_note,
            })),
            "ratio_recorder_to_ffmpeg_cpu": ff.map(|(cpu, _, _)| rec_cpu / cpu),
            "moonfire": mf,
            "floor_retina_pull": floor,
            "targets": {
                "recorder_to_moonfire_cpu_at_most": 0.7,
                "recorder_to_floor_cpu_at_most": 1.2,
                "rss_mib_per_stream_at_most": 0.5,
            },
            "camsim": sent,
        });
        if json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            println!(
                "bench ingest: {cameras} cameras, {rounds} rounds of {seconds} s after {warmup} s warm-up (medians)"
            );
            println!(
                "  mimamori recorder: {:.3} cores = {:.3} % of a core per stream; peak RSS {:.1} MiB ({:.2} MiB per stream); frames stored {stored} of ~{:.0} expected",
                rec_cpu,
                per_stream,
                rec_rss as f64 / (1 << 20) as f64,
                rec_rss as f64 / (1 << 20) as f64 / cameras as f64,
                expected
            );
            println!("  recorder cores per round: {lost_note}");
            for l in &losses {
                println!(
                    "  loss: {} RTP packets lost, {} unexpected gaps; {} frames stored = {} counted; {} dropped before each camera's first keyframe",
                    l["rtp_packets_lost"],
                    l["unexpected_gaps"],
                    l["frames_stored_total"],
                    l["frames_counted_by_recorder"],
                    l["frames_dropped_waiting_for_first_keyframe"]
                );
            }
            if let Some((cpu, rss_total, rss_max)) = ff {
                println!("  ffmpeg cores per round: {ff_note}");
                println!(
                    "  ffmpeg -c copy -f segment ×{cameras}: {:.3} cores = {:.3} % per stream; peak RSS {:.1} MiB total ({:.1} MiB per process)",
                    cpu,
                    cpu * 100.0 / cameras as f64,
                    rss_total as f64 / (1 << 20) as f64,
                    rss_max as f64 / (1 << 20) as f64
                );
                println!("  ratio recorder/ffmpeg CPU: {:.3}", rec_cpu / cpu);
            }
            for (name, p) in
                [("Moonfire NVR", &mf), ("floor (retina pull, frames discarded)", &floor)]
            {
                let Some(p) = p else { continue };
                println!(
                    "  {name}: {:.3} cores = {:.3} % per stream; peak RSS {:.1} MiB ({:.2} MiB per stream); frames kept {} of ~{} sent; cores per round: {}",
                    p["cpu_cores"].as_f64().unwrap_or(0.0),
                    p["cpu_percent_per_stream"].as_f64().unwrap_or(0.0),
                    p["peak_rss_mib"].as_f64().unwrap_or(0.0),
                    p["rss_mib_per_stream"].as_f64().unwrap_or(0.0),
                    p["frames_kept_in_window"],
                    p["frames_expected_in_window"],
                    p["cpu_cores_per_round"].as_str().unwrap_or("")
                );
            }
            let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
            if let Some(p) = &mf {
                let r = p["ratio_recorder_to_peer_cpu"].as_f64().unwrap_or(f64::NAN);
                println!(
                    "  ratio recorder/Moonfire CPU: {r:.3} (target ≤ 0.7: {})",
                    verdict(r <= 0.7)
                );
            }
            if let Some(p) = &floor {
                let r = p["ratio_recorder_to_peer_cpu"].as_f64().unwrap_or(f64::NAN);
                println!(
                    "  ratio recorder/floor CPU: {r:.3} (target ≤ 1.2: {})",
                    verdict(r <= 1.2)
                );
            }
            println!(
                "  recorder RSS per stream: {rec_rss_per_stream:.2} MiB (target ≤ 0.5: {})",
                verdict(rec_rss_per_stream <= 0.5)
            );
            println!("  {sent}");
        }
        let _ = std::fs::remove_dir_all(&tmp);
        Ok(ExitCode::SUCCESS)
    }
}

/// CPU time (user + system) used so far by `who`: this thread, this process, or the
/// waited-for children.
///
/// On a shared virtual machine the wall clock swings with the neighbours and the disk (±20 %
/// between back-to-back runs here), the CPU time of each side much less: benchmarks print both.
pub(super) fn cpu_time(who: nix::sys::resource::UsageWho) -> anyhow::Result<std::time::Duration> {
    let u = nix::sys::resource::getrusage(who)?;
    let tv = |t: nix::sys::time::TimeVal| {
        std::time::Duration::new(t.tv_sec().max(0) as u64, (t.tv_usec().max(0) as u32) * 1000)
    };
    Ok(tv(u.user_time()) + tv(u.system_time()))
}

pub(super) fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let mut b = [0u8; 6];
    getrandom::fill(&mut b).map_err(|e| anyhow::anyhow!("{e}"))?;
    let d = std::env::temp_dir().join(format!("mimamori-bench-{}", hex::encode(b)));
    std::fs::create_dir_all(&d)?;
    Ok(d)
}
