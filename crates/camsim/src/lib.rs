//! # camsim — many RTSP cameras in one process
//!
//! Serves N H.264 streams (`rtsp://HOST:PORT/cam1` … `camN`, RTP/AVP/TCP interleaved) from one
//! clip looped seamlessly: sequence numbers and RTP timestamps continue across the loop. The
//! clip comes from an MP4 file or is synthesised with openh264. Fault switches drop clients,
//! stall streams and send malformed packets, for the recorder's tests. Each mount is also an
//! ONVIF camera that masks at the source ([`onvif_device`]): privacy masks set over Media2 are drawn
//! into its stream.

pub mod clip;
pub mod onvif_device;
pub mod rtp;
pub mod server;

pub use clip::{Clip, load_mp4, synthesize};
pub use server::{CamSim, Faults, Stats};

/// A simulator error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// File system error.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The clip cannot be used.
    #[error("clip: {0}")]
    Clip(String),
}
