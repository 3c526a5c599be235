//! A minimal RTSP/1.0 server (RFC 2326): OPTIONS, DESCRIBE, SETUP (RTP/AVP/TCP interleaved),
//! PLAY, GET_PARAMETER, SET_PARAMETER, TEARDOWN. Written here because no maintained Rust RTSP
//! *server* crate exists; the client side uses `retina`.
//!
//! Each mount has one pacing task that builds each frame's interleaved RTP packets once and
//! broadcasts the bytes to every client of that mount, so an extra stream costs one buffer per
//! frame and an extra client one write. Sequence numbers and timestamps continue across the
//! clip's loop.

use crate::clip::Clip;
use crate::rtp;
use base64::Engine;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, broadcast};

/// Fault switches for tests.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Close each client's connection this long after PLAY.
    pub drop_after: Option<Duration>,
    /// Stop sending (keeping the connection) this long after PLAY…
    pub stall_after: Option<Duration>,
    /// …for this long.
    pub stall_for: Duration,
    /// Send a malformed RTP packet this often.
    pub corrupt_every: Option<Duration>,
    /// Jump the RTP timestamps by an hour this often (absurd camera timestamps).
    pub timestamp_jump_every: Option<Duration>,
    /// Accept privacy masks over ONVIF and report them, but never draw them (a camera whose
    /// masking engine failed silently): the recorder must see it in the pictures.
    pub masks_ignored: bool,
    /// Answer ONVIF's mask calls with `ter:ActionNotSupported` (a camera that cannot mask).
    pub masks_unsupported: bool,
    /// Mounts the faults apply to (`cam2`…); empty: all.
    pub cameras: Vec<String>,
}

impl Faults {
    pub(crate) fn applies(&self, mount: &str) -> bool {
        self.cameras.is_empty() || self.cameras.iter().any(|c| c == mount)
    }
}

/// Counters, for benchmarks ("frames sent").
#[derive(Debug, Default)]
pub struct Stats {
    /// Frames written to clients (a frame sent to two clients counts twice).
    pub frames_sent: AtomicU64,
    /// Bytes written to clients.
    pub bytes_sent: AtomicU64,
}

pub(crate) struct Mount {
    name: String,
    ssrc: u32,
    tx: broadcast::Sender<Bytes>,
    /// Next sequence number and timestamp, for RTP-Info.
    seq_ts: std::sync::Mutex<(u16, u32)>,
    /// What the mount sends: the clip, or the clip with the camera's own masks drawn in; the
    /// pacing task switches at the next keyframe.
    pub(crate) sending: tokio::sync::watch::Sender<Arc<Packets>>,
    /// The privacy masks set over ONVIF, and the next mask token's number.
    pub(crate) masks: std::sync::Mutex<(Vec<onvif::Mask>, u64)>,
}

/// A clip packetised once: each frame's RTP payloads (parameter sets in band before every IDR,
/// as cameras send them) and whether it is a keyframe.
pub(crate) struct Packets {
    frames: Vec<(Vec<Vec<u8>>, bool)>,
    /// The masks drawn in (none for the plain clip).
    pub(crate) masks: usize,
}

impl Packets {
    pub(crate) fn new(clip: &Clip, masks: usize) -> Packets {
        let frames = clip
            .frames
            .iter()
            .map(|f| {
                let mut nals: Vec<&[u8]> = Vec::new();
                if f.keyframe {
                    nals.push(&clip.sps);
                    nals.push(&clip.pps);
                }
                nals.extend(f.nals.iter().map(Vec::as_slice));
                (rtp::payloads(&nals), f.keyframe)
            })
            .collect();
        Packets { frames, masks }
    }
}

/// The simulator.
pub struct CamSim {
    pub(crate) clip: Arc<Clip>,
    pub(crate) plain: Arc<Packets>,
    pub(crate) mounts: HashMap<String, Arc<Mount>>,
    pub(crate) faults: Faults,
    /// Counters.
    pub stats: Arc<Stats>,
    sdp_params: String,
    /// `user:password` required (HTTP Basic for RTSP, a WS-Security digest for ONVIF) when set.
    pub(crate) auth: Option<String>,
}

fn random_u32() -> u32 {
    let mut b = [0u8; 4];
    let _ = getrandom::fill(&mut b);
    u32::from_le_bytes(b)
}

impl CamSim {
    /// Serves `cameras` mounts named `cam1` … `camN` from `clip`, plus a mount `audio` whose
    /// only stream is audio (for "not a video stream" tests).
    pub fn new(clip: Clip, cameras: usize, faults: Faults) -> Arc<Self> {
        Self::with_auth(clip, cameras, faults, None)
    }

    /// Like [`CamSim::new`], requiring HTTP Basic credentials `user:password`.
    pub fn with_auth(
        clip: Clip,
        cameras: usize,
        faults: Faults,
        auth: Option<String>,
    ) -> Arc<Self> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let sdp_params = format!(
            "packetization-mode=1;profile-level-id={};sprop-parameter-sets={},{}",
            clip.profile_level_id(),
            b64.encode(&clip.sps),
            b64.encode(&clip.pps)
        );
        // Pre-packetize the clip once: every loop reuses the payloads; only headers change.
        let plain = Arc::new(Packets::new(&clip, 0));
        let clip = Arc::new(clip);
        let stats = Arc::new(Stats::default());
        let mut mounts = HashMap::new();
        for i in 1..=cameras {
            let name = format!("cam{i}");
            let (tx, _) = broadcast::channel(32);
            let m = Arc::new(Mount {
                name: name.clone(),
                ssrc: random_u32(),
                tx,
                seq_ts: std::sync::Mutex::new((0, 0)),
                sending: tokio::sync::watch::Sender::new(plain.clone()),
                masks: std::sync::Mutex::new((Vec::new(), 1)),
            });
            let jump = if faults.applies(&name) { faults.timestamp_jump_every } else { None };
            tokio::spawn(pace(m.clone(), clip.fps, i, jump));
            mounts.insert(name, m);
        }
        Arc::new(CamSim { clip, plain, mounts, faults, stats, sdp_params, auth })
    }

    /// Accepts clients forever.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> std::io::Result<()> {
        loop {
            let (sock, _) = listener.accept().await?;
            let _ = sock.set_nodelay(true);
            let me = self.clone();
            tokio::spawn(async move {
                if let Err(e) = me.client(sock).await {
                    tracing::debug!(error = %e, "camsim client ended");
                }
            });
        }
    }

    fn sdp(&self, mount: &str) -> String {
        format!(
            "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=mimamori camsim {mount}\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\na=control:*\r\n\
             m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 {}\r\na=framerate:{}\r\na=control:track1\r\n",
            self.sdp_params, self.clip.fps
        )
    }

    async fn client(self: Arc<Self>, sock: TcpStream) -> std::io::Result<()> {
        let (rd, wr) = sock.into_split();
        let wr = Arc::new(Mutex::new(wr));
        let mut rd = BufReader::new(rd);
        let session = format!("{:08x}", random_u32());
        let mut mount: Option<Arc<Mount>> = None;
        let mut streaming: Option<tokio::task::JoinHandle<()>> = None;
        loop {
            let Some(req) = read_request(&mut rd).await? else { break };
            let cseq = req.header("cseq").unwrap_or("0").to_owned();
            let reply = |status: &str, extra: &str, body: &str| {
                let body_hdr = if body.is_empty() {
                    String::new()
                } else {
                    format!("Content-Type: application/sdp\r\nContent-Length: {}\r\n", body.len())
                };
                format!(
                    "RTSP/1.0 {status}\r\nCSeq: {cseq}\r\nServer: mimamori-camsim\r\n{extra}{body_hdr}\r\n{body}"
                )
            };
            let name = req.mount();
            if let Some(auth) = &self.auth
                && req.method != "OPTIONS"
            {
                let want =
                    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(auth));
                if req.header("authorization") != Some(want.as_str()) {
                    let r = reply(
                        "401 Unauthorized",
                        "WWW-Authenticate: Basic realm=\"camsim\"\r\n",
                        "",
                    );
                    wr.lock().await.write_all(r.as_bytes()).await?;
                    continue;
                }
            }
            let text = match req.method.as_str() {
                "OPTIONS" => reply(
                    "200 OK",
                    "Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER, SET_PARAMETER\r\n",
                    "",
                ),
                "DESCRIBE" if name == "audio" => {
                    let sdp = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=audio only\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=control:track1\r\n";
                    reply(
                        "200 OK",
                        &format!("Content-Base: {}/\r\n", req.url.trim_end_matches('/')),
                        sdp,
                    )
                }
                "DESCRIBE" => match self.mounts.get(&name) {
                    Some(_) => {
                        let base = req.url.trim_end_matches('/');
                        reply("200 OK", &format!("Content-Base: {base}/\r\n"), &self.sdp(&name))
                    }
                    None => reply("404 Not Found", "", ""),
                },
                "SETUP" => {
                    let transport = req.header("transport").unwrap_or("");
                    match self.mounts.get(&name) {
                        None => reply("404 Not Found", "", ""),
                        Some(_) if !transport.contains("RTP/AVP/TCP") => {
                            reply("461 Unsupported Transport", "", "")
                        }
                        Some(m) => {
                            mount = Some(m.clone());
                            reply(
                                "200 OK",
                                &format!(
                                    "Transport: RTP/AVP/TCP;unicast;interleaved=0-1;ssrc={:08X}\r\nSession: {session};timeout=60\r\n",
                                    m.ssrc
                                ),
                                "",
                            )
                        }
                    }
                }
                "PLAY" => match &mount {
                    None => reply("455 Method Not Valid in This State", "", ""),
                    Some(m) => {
                        let rx = m.tx.subscribe();
                        let (seq, ts) = *m.seq_ts.lock().unwrap_or_else(|p| p.into_inner());
                        let info = format!(
                            "RTP-Info: url={}/track1;seq={seq};rtptime={ts}\r\nSession: {session}\r\n",
                            req.url.trim_end_matches('/')
                        );
                        let r = reply("200 OK", &info, "");
                        wr.lock().await.write_all(r.as_bytes()).await?;
                        if streaming.is_none() {
                            let faults = if self.faults.applies(&m.name) {
                                self.faults.clone()
                            } else {
                                Faults::default()
                            };
                            streaming = Some(tokio::spawn(forward(
                                rx,
                                wr.clone(),
                                faults,
                                self.stats.clone(),
                            )));
                        }
                        continue;
                    }
                },
                "GET_PARAMETER" | "SET_PARAMETER" => {
                    reply("200 OK", &format!("Session: {session}\r\n"), "")
                }
                "TEARDOWN" => {
                    let r = reply("200 OK", &format!("Session: {session}\r\n"), "");
                    wr.lock().await.write_all(r.as_bytes()).await?;
                    break;
                }
                _ => reply("501 Not Implemented", "", ""),
            };
            wr.lock().await.write_all(text.as_bytes()).await?;
        }
        if let Some(s) = streaming {
            s.abort();
        }
        Ok(())
    }
}

/// Builds and broadcasts each frame of a mount at the clip's pace; a change of what the mount
/// sends (masks drawn in or not) takes effect at the next keyframe.
async fn pace(m: Arc<Mount>, fps: u32, index: usize, jump_every: Option<Duration>) {
    let ssrc = m.ssrc;
    let mut seq: u16 = (random_u32() & 0x7fff) as u16;
    let mut ts: u32 = random_u32();
    let step = 90_000 / fps.max(1);
    let mut sending = m.sending.subscribe();
    let mut packets = sending.borrow_and_update().clone();
    // Stagger mounts over one frame interval so they do not all wake at once.
    let period = Duration::from_micros(1_000_000 / u64::from(fps.max(1)));
    tokio::time::sleep(period.mul_f64((index % 16) as f64 / 16.0)).await;
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut buf = Vec::new();
    let mut k = 0usize;
    let mut last_jump = tokio::time::Instant::now();
    loop {
        tick.tick().await;
        if let Some(every) = jump_every
            && last_jump.elapsed() >= every
        {
            last_jump = tokio::time::Instant::now();
            ts = ts.wrapping_add(3600 * 90_000);
        }
        let at = k % packets.frames.len().max(1);
        if packets.frames.get(at).is_some_and(|f| f.1) && sending.has_changed().unwrap_or(false) {
            packets = sending.borrow_and_update().clone();
        }
        let Some((frame, _)) = packets.frames.get(at) else { return };
        if m.tx.receiver_count() > 0 {
            buf.clear();
            for (i, p) in frame.iter().enumerate() {
                rtp::push_interleaved(
                    &mut buf,
                    0,
                    i + 1 == frame.len(),
                    seq.wrapping_add(i as u16),
                    ts,
                    ssrc,
                    p,
                );
            }
            let _ = m.tx.send(Bytes::copy_from_slice(&buf));
        }
        seq = seq.wrapping_add(frame.len() as u16);
        ts = ts.wrapping_add(step);
        *m.seq_ts.lock().unwrap_or_else(|p| p.into_inner()) = (seq, ts);
        k += 1;
    }
}

/// Writes a mount's frames to one client, applying its faults.
async fn forward(
    mut rx: broadcast::Receiver<Bytes>,
    wr: Arc<Mutex<tokio::net::tcp::OwnedWriteHalf>>,
    faults: Faults,
    stats: Arc<Stats>,
) {
    let start = tokio::time::Instant::now();
    let mut last_corrupt = start;
    loop {
        let frame = match rx.recv().await {
            Ok(f) => f,
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let elapsed = start.elapsed();
        if faults.drop_after.is_some_and(|d| elapsed >= d) {
            let _ = wr.lock().await.shutdown().await;
            return;
        }
        if let Some(s) = faults.stall_after
            && elapsed >= s
            && elapsed < s + faults.stall_for
        {
            continue;
        }
        let mut w = wr.lock().await;
        if let Some(every) = faults.corrupt_every
            && last_corrupt.elapsed() >= every
        {
            last_corrupt = tokio::time::Instant::now();
            // A packet claiming RTP version 0 with a truncated header.
            if w.write_all(&[b'$', 0, 0, 5, 0x00, 0xff, 0xff, 0xff, 0xff]).await.is_err() {
                return;
            }
        }
        if w.write_all(&frame).await.is_err() {
            return;
        }
        stats.frames_sent.fetch_add(1, Ordering::Relaxed);
        stats.bytes_sent.fetch_add(frame.len() as u64, Ordering::Relaxed);
    }
}

struct RtspRequest {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
}

impl RtspRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// `rtsp://host:port/cam3/track1` → `cam3`.
    fn mount(&self) -> String {
        let path =
            self.url.split("://").nth(1).and_then(|r| r.split_once('/')).map_or("", |(_, p)| p);
        path.split('/').find(|s| !s.is_empty()).unwrap_or("").to_owned()
    }
}

/// Reads one request, skipping interleaved binary data (RTCP from the client). `None` at EOF.
async fn read_request<R: tokio::io::AsyncRead + Unpin>(
    rd: &mut BufReader<R>,
) -> std::io::Result<Option<RtspRequest>> {
    use tokio::io::AsyncBufReadExt;
    loop {
        let first = match rd.fill_buf().await? {
            [] => return Ok(None),
            b => b[0],
        };
        if first == b'$' {
            let mut hdr = [0u8; 4];
            rd.read_exact(&mut hdr).await?;
            let len = u16::from_be_bytes([hdr[2], hdr[3]]) as usize;
            let mut skip = vec![0u8; len];
            rd.read_exact(&mut skip).await?;
            continue;
        }
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            if rd.read_line(&mut line).await? == 0 {
                return Ok(None);
            }
            if line.len() > 8192 || lines.len() > 100 {
                return Err(std::io::Error::other("request too large"));
            }
            let line = line.trim_end().to_owned();
            if line.is_empty() {
                break;
            }
            lines.push(line);
        }
        let Some(request_line) = lines.first() else { continue };
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or("").to_owned();
        let url = parts.next().unwrap_or("").to_owned();
        let headers: Vec<(String, String)> = lines[1..]
            .iter()
            .filter_map(|l| {
                l.split_once(':').map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            })
            .collect();
        let req = RtspRequest { method, url, headers };
        if let Some(len) = req.header("content-length").and_then(|v| v.parse::<usize>().ok()) {
            let mut body = vec![0u8; len.min(65536)];
            rd.read_exact(&mut body).await?;
        }
        return Ok(Some(req));
    }
}
