//! The other recorders `bench ingest` measures in the same run on the same camera farm
//! (issue 24, item 1): Moonfire NVR (a Rust NVR on `retina`, without encryption, hashing or
//! masks — `../shared/tools/peers`), and the floor, a bare `retina` pull of every stream that
//! discards each frame (`mimamori bench pull`, hidden): what receiving the streams costs before
//! anything is recorded.

use anyhow::{Context, bail};
use futures::StreamExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// One measured round of a peer.
#[derive(Debug, Clone, Copy)]
pub struct Round {
    /// Cores used over the window.
    pub cpu: f64,
    /// Peak RSS, bytes.
    pub rss: u64,
    /// Frames it kept (stored, or pulled for the floor) in the window.
    pub frames: f64,
    /// Frames the cameras sent in the window.
    pub expected: f64,
}

/// Where Moonfire NVR is: `--moonfire`, else the shared peers directory if it is there.
pub fn moonfire_binary(given: Option<PathBuf>) -> Option<PathBuf> {
    given.or_else(|| {
        let exe = std::env::current_exe().ok()?;
        // target/release/mimamori → the repository's sibling `shared/tools/peers`.
        exe.ancestors()
            .map(|a| a.join("../shared/tools/peers/moonfire-nvr"))
            .chain(std::iter::once(PathBuf::from("/work/shared/tools/peers/moonfire-nvr")))
            .find(|p| p.is_file())
    })
}

/// One round of Moonfire NVR recording `cameras` streams of `url(i)`: configured with its own
/// script (the rows its interactive `config` writes), run with two worker threads, measured,
/// stopped with SIGTERM (it flushes), and its recordings in the window counted from its index.
pub fn moonfire_round(
    binary: &Path,
    dir: &Path,
    cameras: usize,
    url: &dyn Fn(usize) -> String,
    warmup: u64,
    seconds: u64,
) -> anyhow::Result<Round> {
    let configure = binary.with_file_name("moonfire-configure.py");
    std::fs::create_dir_all(dir)?;
    let db = dir.join("db");
    let ok = Command::new(binary)
        .arg("init")
        .arg(format!("--db-dir={}", db.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("moonfire-nvr init")?;
    if !ok.success() {
        bail!("moonfire-nvr init failed");
    }
    for i in 1..=cameras {
        let ok = Command::new("python3")
            .arg(&configure)
            .arg(db.join("db"))
            .arg(dir.join("sample"))
            .arg(format!("cam{i}"))
            .arg(url(i))
            .args([(1u64 << 30).to_string(), "120".into()])
            .stdout(Stdio::null())
            .status()
            .context("moonfire-configure.py")?;
        if !ok.success() {
            bail!("moonfire-configure.py failed for cam{i}");
        }
    }
    std::fs::create_dir_all(dir.join("ui"))?;
    let port = super::bench::free_port()?;
    let config = dir.join("mf.toml");
    std::fs::write(
        &config,
        format!(
            "dbDir = \"{}\"\nuiDir = \"{}\"\nworkerThreads = 2\n[[binds]]\nipv4 = \"127.0.0.1:{port}\"\nallowUnauthenticatedPermissions = {{ viewVideo = true }}\n",
            db.display(),
            dir.join("ui").display()
        ),
    )?;
    let mut mf = super::bench::Proc(
        Command::new(binary)
            .arg("run")
            .arg("--config")
            .arg(&config)
            .env("MOONFIRE_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("moonfire-nvr run")?,
    );
    let from = jiff::Timestamp::now().as_millisecond() + (warmup as i64) * 1000;
    let (cpu, rss, _) = super::bench::measure(&[mf.0.id()], warmup, seconds)?;
    let to = jiff::Timestamp::now().as_millisecond();
    super::bench::sigterm(mf.0.id());
    let _ = mf.0.wait();
    let frames = moonfire_frames(&db.join("db"), from, to)?;
    let _ = std::fs::remove_dir_all(dir);
    Ok(Round { cpu, rss, frames, expected: expected(cameras, from, to) })
}

/// Frames Moonfire recorded between `from` and `to` (UTC ms): each recording's video samples,
/// the part of it inside the window (its frames are evenly spaced).
fn moonfire_frames(db: &Path, from: i64, to: i64) -> anyhow::Result<f64> {
    let script = "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nf,t=int(sys.argv[2])*90,int(sys.argv[3])*90\nn=0.0\nfor s,d,v in c.execute('select start_time_90k, wall_duration_90k, video_samples from recording'):\n  a,b=max(s,f),min(s+d,t)\n  if b>a and d>0: n+=v*(b-a)/d\nprint(n)\n";
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(db)
        .arg(from.to_string())
        .arg(to.to_string())
        .output()
        .context("python3 reading Moonfire's index")?;
    if !out.status.success() {
        bail!("reading Moonfire's index: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().parse()?)
}

fn expected(cameras: usize, from: i64, to: i64) -> f64 {
    cameras as f64 * 25.0 * ((to - from) as f64 / 1000.0)
}

/// One round of the floor: `mimamori bench pull` over every stream.
pub fn floor_round(
    me: &Path,
    cameras: usize,
    url: &dyn Fn(usize) -> String,
    warmup: u64,
    seconds: u64,
) -> anyhow::Result<Round> {
    let mut cmd = Command::new(me);
    cmd.args(["bench", "pull"]);
    for i in 1..=cameras {
        cmd.arg(url(i));
    }
    let mut p = super::bench::Proc(
        cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().context("bench pull")?,
    );
    let (cpu, rss, _) = super::bench::measure(&[p.0.id()], warmup, seconds)?;
    // The window's frames: the count it prints each second, read at the window's edges.
    super::bench::sigterm(p.0.id());
    let out = p.0.stdout.take().map(std::io::read_to_string).transpose()?.unwrap_or_default();
    let _ = p.0.wait();
    let counts: Vec<(i64, f64)> = out
        .lines()
        .filter_map(|l| l.strip_prefix("pull: "))
        .filter_map(|l| {
            let (ms, n) = l.split_once(' ')?;
            Some((ms.parse().ok()?, n.parse().ok()?))
        })
        .collect();
    let Some(&(end_ms, end)) = counts.last() else { bail!("bench pull printed nothing") };
    let begin = counts
        .iter()
        .find(|(ms, _)| *ms >= end_ms - (seconds as i64) * 1000)
        .copied()
        .unwrap_or((end_ms, end));
    Ok(Round { cpu, rss, frames: end - begin.1, expected: expected(cameras, begin.0, end_ms) })
}

/// `mimamori bench pull URL…`: pulls every stream with `retina` (RTSP over TCP, as the recorder
/// does) and discards each frame; prints `pull: <UTC ms> <frames so far>` once a second until
/// SIGTERM. The floor under any recorder built on the same library.
pub fn pull(urls: Vec<String>) -> anyhow::Result<std::process::ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        let frames = Arc::new(AtomicU64::new(0));
        for u in urls {
            let frames = frames.clone();
            tokio::spawn(async move {
                loop {
                    if let Err(e) = pull_one(&u, &frames).await {
                        tracing::debug!(url = %u, error = %e, "pull ended");
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                }
            });
        }
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    use std::io::Write;
                    let n = frames.load(Ordering::Relaxed);
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "pull: {} {n}", jiff::Timestamp::now().as_millisecond())?;
                    out.flush()?;
                }
                _ = term.recv() => break,
            }
        }
        anyhow::Ok(())
    })?;
    Ok(std::process::ExitCode::SUCCESS)
}

async fn pull_one(url: &str, frames: &AtomicU64) -> anyhow::Result<()> {
    use retina::client::{PlayOptions, SessionOptions, SetupOptions, Transport};
    let url = url::Url::parse(url)?;
    let mut session = retina::client::Session::describe(url, SessionOptions::default()).await?;
    let video =
        session.streams().iter().position(|s| s.media() == "video").context("no video stream")?;
    session
        .setup(video, SetupOptions::default().transport(Transport::Tcp(Default::default())))
        .await?;
    let demuxed = session.play(PlayOptions::default()).await?.demuxed()?;
    tokio::pin!(demuxed);
    while let Some(item) = demuxed.next().await {
        if let retina::codec::CodecItem::VideoFrame(f) = item? {
            std::hint::black_box(f.data());
            frames.fetch_add(1, Ordering::Relaxed);
        }
    }
    Ok(())
}
