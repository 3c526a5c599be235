//! Recorder configuration.

use policy::retention::Period;
use std::path::PathBuf;

/// One camera.
#[derive(Debug, Clone)]
pub struct CameraConfig {
    /// Code (`cam1`), as in the governance registry.
    pub code: String,
    /// `rtsp://…` without credentials.
    pub url: String,
    /// Username, if the camera needs one.
    pub username: Option<String>,
    /// Password (never logged).
    pub password: Option<String>,
    /// Retention setting; the profile's default when `None`.
    pub retention: Option<Period>,
    /// Privacy masks burned in by the recorder (a camera that cannot mask by itself): polygons
    /// in normalised picture coordinates; empty for none (ASA-2.1).
    pub masks: Vec<masking::Polygon>,
    /// The registry's version of `masks` (0: none), recorded with the segments it applies to.
    pub mask_version: i64,
    /// The camera's ONVIF Media2 service (`http://camera/onvif/media2_service`), for a camera
    /// that masks at the source: the recorder sets `masks` there, checks its pictures and burns
    /// them in itself until a keyframe shows them and whenever one does not (issue 24, item 2;
    /// [`crate::source_masks`]). The camera's user and password are used for it too.
    pub onvif: Option<String>,
    /// How often a camera masking at the source has a keyframe checked (ms; default a minute).
    pub mask_check_ms: i64,
}

/// Default interval between checks of a camera that masks at the source (ms).
pub const MASK_CHECK_MS: i64 = 60_000;

impl CameraConfig {
    /// A camera at `url` (`rtsp://[user:password@]host/path`, the way camera configurations are
    /// usually written). The credentials are taken out of the URL, percent-decoded, so the URL
    /// that is logged and named in exported files never carries them.
    pub fn from_url(code: &str, url: &str) -> Result<CameraConfig, crate::Error> {
        let bad = |why: String| crate::Error::Config(format!("camera {code}: {why}"));
        let u = url::Url::parse(url).map_err(|e| bad(format!("bad URL: {e}")))?;
        if u.scheme() != "rtsp" {
            return Err(bad("the URL must be rtsp://".into()));
        }
        let decode =
            |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
        let (username, password) = if u.username().is_empty() {
            (None, None)
        } else {
            (Some(decode(u.username())), Some(decode(u.password().unwrap_or(""))))
        };
        Ok(CameraConfig {
            code: code.to_owned(),
            url: without_credentials(url),
            username,
            password,
            retention: None,
            masks: Vec::new(),
            mask_version: 0,
            onvif: None,
            mask_check_ms: MASK_CHECK_MS,
        })
    }
}

/// Checks the ONVIF service a camera masks at (PROD-MASK-1): `http(s)://`, without user or
/// password in it — the recorder signs its calls with the camera's own credentials, and an
/// address carrying others would put them in logs and the registry.
pub fn check_onvif(code: &str, service: &str) -> Result<(), crate::Error> {
    let bad = |why: &str| crate::Error::Config(format!("camera {code}: {why}"));
    let u = url::Url::parse(service).map_err(|_| bad("the ONVIF service is not a URL"))?;
    if !matches!(u.scheme(), "http" | "https") || !u.username().is_empty() || u.password().is_some()
    {
        return Err(bad(
            "the ONVIF service takes http(s)://camera/onvif/media2_service without credentials (the camera's own are used)",
        ));
    }
    Ok(())
}

/// Checks a camera code before it names a directory (PROD-IDENT-1): a code such as
/// `../../x` would make the recorder write outside its data directory.
pub fn check_code(code: &str) -> Result<(), String> {
    policy::ident::check_camera_code(code)
        .map_err(|why| format!("PROD-IDENT-1: camera code {code:?} {why}"))
}

/// `url` with any user and password removed (what may appear in logs and exported files); empty
/// if it is not a URL.
pub fn without_credentials(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Err(_) => String::new(),
    }
}

/// The recorder node.
#[derive(Debug, Clone)]
pub struct RecorderConfig {
    /// Node name (bound into the chain genesis).
    pub node_id: String,
    /// Where segments, the node database, the audit log and status live.
    pub data_dir: PathBuf,
    /// The node's signing key file (its KEK is derived from it).
    pub key_path: PathBuf,
    /// Cameras.
    pub cameras: Vec<CameraConfig>,
    /// Target segment length, ms (cut at the first keyframe after it).
    pub segment_ms: i64,
    /// No frame for this long: the camera is stalled; reconnect (ms).
    pub stall_ms: u64,
    /// Largest reconnect backoff (ms).
    pub max_backoff_ms: u64,
    /// How often the retention sweeper runs (ms).
    pub sweep_every_ms: u64,
    /// Below this much free space recording pauses cleanly (before the disk is completely
    /// full, so the index and audit log can still be written); it resumes above it.
    pub min_free_bytes: u64,
    /// Free space kept per camera on top of `min_free_bytes`: room for a second of frames and
    /// to seal the open segment, write its index row and audit entry once the threshold is
    /// crossed (it is checked at every flush, once a second per camera).
    pub reserve_per_camera: u64,
    /// A pause longer than this between two frames of a stream is a gap (ms).
    pub hole_ms: i64,
    /// The networks cameras may be in (empty: any). A camera whose address resolves outside
    /// them is not connected to (issue 16: an allow-list of camera networks).
    pub camera_networks: Vec<ipnet::IpNet>,
}

impl RecorderConfig {
    /// Defaults for a node writing under `data_dir`.
    pub fn new(node_id: &str, data_dir: impl Into<PathBuf>) -> Self {
        let data_dir = data_dir.into();
        RecorderConfig {
            node_id: node_id.to_owned(),
            key_path: data_dir.join("node.key"),
            data_dir,
            cameras: Vec::new(),
            segment_ms: 60_000,
            stall_ms: 10_000,
            max_backoff_ms: 30_000,
            sweep_every_ms: 60_000,
            min_free_bytes: 64 << 20,
            reserve_per_camera: 2 << 20,
            hole_ms: 2_000,
            camera_networks: Vec::new(),
        }
    }
}
