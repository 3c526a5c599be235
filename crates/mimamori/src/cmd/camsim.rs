//! `mimamori camsim`: many simulated RTSP cameras in one process.

use anyhow::Context;
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Options of `mimamori camsim`.
#[derive(Debug, Args)]
pub struct CamsimArgs {
    /// Number of cameras (rtsp://HOST:PORT/cam1 … camN).
    #[arg(long, default_value_t = 4)]
    pub cameras: usize,
    /// Port to listen on.
    #[arg(long, default_value_t = 8554)]
    pub port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,
    /// An H.264 MP4 clip to loop (no B-frames). Without it, a clip is synthesised with openh264.
    #[arg(long)]
    pub clip: Option<PathBuf>,
    /// Synthesised clip width.
    #[arg(long, default_value_t = 1280)]
    pub width: u32,
    /// Synthesised clip height.
    #[arg(long, default_value_t = 720)]
    pub height: u32,
    /// Synthesised clip frame rate.
    #[arg(long, default_value_t = 25)]
    pub fps: u32,
    /// Synthesised clip bitrate, bits/s.
    #[arg(long, default_value_t = 2_000_000)]
    pub bitrate: u32,
    /// Synthesised clip length, seconds.
    #[arg(long, default_value_t = 10)]
    pub seconds: u32,
    /// Fault: close each client this many seconds after PLAY.
    #[arg(long)]
    pub drop_after: Option<f64>,
    /// Fault: stop sending this many seconds after PLAY…
    #[arg(long)]
    pub stall_after: Option<f64>,
    /// …for this many seconds.
    #[arg(long, default_value_t = 10.0)]
    pub stall_for: f64,
    /// Fault: send a malformed RTP packet every this many seconds.
    #[arg(long)]
    pub corrupt_every: Option<f64>,
    /// Fault: jump the RTP timestamps by an hour every this many seconds.
    #[arg(long)]
    pub timestamp_jump_every: Option<f64>,
    /// Require these RTSP credentials (`user:password`, HTTP Basic).
    #[arg(long)]
    pub auth: Option<String>,
    /// Also answer ONVIF's Media2 mask calls on this port (`http://BIND:PORT/onvif/camN/media2_service`):
    /// masks set there are drawn into that camera's stream (a camera that masks at the source).
    #[arg(long)]
    pub onvif_port: Option<u16>,
    /// Fault: accept ONVIF masks but never draw them (a camera whose masking failed silently).
    #[arg(long)]
    pub masks_ignored: bool,
    /// Fault: answer ONVIF's mask calls with ActionNotSupported (a camera that cannot mask).
    #[arg(long)]
    pub masks_unsupported: bool,
    /// Cameras the faults apply to (comma-separated, e.g. cam2,cam3); default all.
    #[arg(long, value_delimiter = ',')]
    pub faulty: Vec<String>,
}

impl CamsimArgs {
    /// Runs until killed.
    pub fn run(self) -> anyhow::Result<ExitCode> {
        super::serve::init_tracing();
        let clip = match &self.clip {
            Some(p) => {
                camsim::load_mp4(p).with_context(|| format!("cannot use clip {}", p.display()))?
            }
            None => {
                camsim::synthesize(self.width, self.height, self.fps, self.bitrate, self.seconds)?
            }
        };
        let secs = |s: f64| Duration::from_secs_f64(s.max(0.0));
        let faults = camsim::Faults {
            drop_after: self.drop_after.map(secs),
            stall_after: self.stall_after.map(secs),
            stall_for: secs(self.stall_for),
            corrupt_every: self.corrupt_every.map(secs),
            timestamp_jump_every: self.timestamp_jump_every.map(secs),
            masks_ignored: self.masks_ignored,
            masks_unsupported: self.masks_unsupported,
            cameras: self.faulty.clone(),
        };
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind((self.bind.as_str(), self.port))
                .await
                .with_context(|| format!("cannot listen on {}:{}", self.bind, self.port))?;
            let addr = listener.local_addr()?;
            println!(
                "camsim: {} cameras ({}x{} @ {} fps, {} frames, {} KiB) on rtsp://{addr}/cam1 … cam{}",
                self.cameras,
                clip.width,
                clip.height,
                clip.fps,
                clip.frames.len(),
                clip.bytes() / 1024,
                self.cameras
            );
            let sim = camsim::CamSim::with_auth(clip, self.cameras, faults, self.auth.clone());
            if let Some(port) = self.onvif_port {
                let onvif = tokio::net::TcpListener::bind((self.bind.as_str(), port))
                    .await
                    .with_context(|| format!("cannot listen on {}:{port}", self.bind))?;
                let at = onvif.local_addr()?;
                println!("camsim: ONVIF masks on http://{at}/onvif/cam1/media2_service … cam{}", self.cameras);
                tokio::spawn(sim.clone().serve_onvif(onvif));
            }
            let stats = sim.stats.clone();
            let r = tokio::select! {
                r = sim.serve(listener) => r.map_err(anyhow::Error::from),
                _ = super::serve::shutdown_signal() => Ok(()),
            };
            // Benchmarks read this line: frames and bytes written to clients.
            println!(
                "camsim: sent {} frames, {} bytes",
                stats.frames_sent.load(std::sync::atomic::Ordering::Relaxed),
                stats.bytes_sent.load(std::sync::atomic::Ordering::Relaxed)
            );
            r
        })?;
        Ok(ExitCode::SUCCESS)
    }
}
