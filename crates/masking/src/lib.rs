//! # masking — privacy masks burned into the recording (ASA-2.1 and its ※ note)
//!
//! A camera that cannot mask by itself sends its full picture; for such a camera the recorder
//! passes every frame through a [`Masker`]: decode (H.264), fill every macroblock that a mask
//! polygon touches with black in all three planes (whole 16×16 luma / 8×8 chroma blocks, so no
//! edge of the masked area survives in prediction or deblocking), re-encode with a keyframe
//! exactly where the camera had one, and only then hash, encrypt and store. The stored stream —
//! the one the evidence chain attests — never contains the masked pixels.
//!
//! Codec: openh264 (decoder and encoder, [`Masker`]), built from source by its crate (with
//! `nasm` for SIMD); with the `libav` feature also libavcodec's decoder + libx264
//! (`libav::X264Masker`), as fast as ffmpeg but GPL. [`MaskWorker`] runs either on a thread of
//! its own per camera. Why, and what each costs, is in `docs/masking.md`.

#[cfg(feature = "libav")]
pub mod libav;
mod macroblocks;
mod source_check;
mod worker;

pub use geometry::{Point, Polygon, public_share_permille};
pub use macroblocks::MacroblockMask;
pub use source_check::{SourceCheck, SourceVerdict};
pub use worker::{Codec, MaskWorker};

use openh264::OpenH264API;
use openh264::decoder::{Decoder, DecoderConfig};
use openh264::encoder::{
    BitRate, Complexity, Encoder, EncoderConfig, FrameRate, IntraFramePeriod, RateControlMode,
    UsageType,
};
use openh264::formats::{YUVSlices, YUVSource};

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum MaskError {
    /// The codec failed.
    #[error("codec: {0}")]
    Codec(String),
    /// The camera's parameters (avcC) are malformed.
    #[error("codec parameters: {0}")]
    Params(&'static str),
    /// A length-prefixed frame is malformed.
    #[error("frame: {0}")]
    Frame(&'static str),
}

fn codec(e: impl std::fmt::Display) -> MaskError {
    MaskError::Codec(e.to_string())
}

/// Black in 8-bit limited-range YCbCr (BT.601/709): Y 16, Cb = Cr = 128.
pub const BLACK_Y: u8 = 16;
/// Neutral chroma.
pub const BLACK_C: u8 = 128;

/// One re-encoded frame: AVC length-prefixed NAL units (4-byte lengths), without SPS/PPS
/// (those are in [`Masker::avcc`]).
#[derive(Debug, Clone)]
pub struct MaskedFrame {
    /// The frame's NAL units.
    pub data: Vec<u8>,
    /// Whether it is an IDR frame.
    pub keyframe: bool,
}

/// Encoder settings.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Target bitrate, bits per second.
    pub bitrate: u32,
    /// Frame rate the camera sends.
    pub fps: f32,
}

/// Decodes, masks and re-encodes one camera's stream.
pub struct Masker {
    polygons: Vec<Polygon>,
    settings: Settings,
    decoder: Decoder,
    encoder: Option<(usize, usize, Encoder)>,
    plan: Option<MacroblockMask>,
    buf: Vec<u8>,
    sps: Vec<u8>,
    pps: Vec<u8>,
    annexb: Vec<u8>,
    pending_change: bool,
}

/// NAL units, each without start code or length.
pub type Nals = Vec<Vec<u8>>;

/// The SPS and PPS of an AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1).
pub fn parse_avcc(avcc: &[u8]) -> Result<(Nals, Nals), MaskError> {
    let bad = MaskError::Params("truncated avcC");
    if avcc.len() < 7 || avcc[0] != 1 {
        return Err(MaskError::Params("not an avcC record (version 1)"));
    }
    let mut i = 5;
    let read = |count: usize, i: &mut usize| -> Result<Nals, MaskError> {
        let mut out = Vec::new();
        for _ in 0..count {
            let len = usize::from(u16::from_be_bytes([
                *avcc.get(*i).ok_or(MaskError::Params("truncated avcC"))?,
                *avcc.get(*i + 1).ok_or(MaskError::Params("truncated avcC"))?,
            ]));
            let nal = avcc.get(*i + 2..*i + 2 + len).ok_or(MaskError::Params("truncated avcC"))?;
            out.push(nal.to_vec());
            *i += 2 + len;
        }
        Ok(out)
    };
    let n_sps = usize::from(avcc[i] & 0x1f);
    i += 1;
    let sps = read(n_sps, &mut i)?;
    let n_pps = usize::from(*avcc.get(i).ok_or(bad)?);
    i += 1;
    let pps = read(n_pps, &mut i)?;
    Ok((sps, pps))
}

/// An avcC record for one SPS and one PPS, 4-byte NAL lengths.
pub fn build_avcc(sps: &[u8], pps: &[u8]) -> Vec<u8> {
    let mut v = vec![
        1,
        sps.get(1).copied().unwrap_or(66),
        sps.get(2).copied().unwrap_or(0),
        sps.get(3).copied().unwrap_or(30),
        0xFF,
        0xE1,
    ];
    v.extend_from_slice(&(sps.len() as u16).to_be_bytes());
    v.extend_from_slice(sps);
    v.push(1);
    v.extend_from_slice(&(pps.len() as u16).to_be_bytes());
    v.extend_from_slice(pps);
    v
}

/// Iterates the NAL units of a 4-byte length-prefixed frame.
pub fn avcc_nals(frame: &[u8]) -> Result<Vec<&[u8]>, MaskError> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < frame.len() {
        let len_bytes: [u8; 4] = frame
            .get(i..i + 4)
            .and_then(|b| b.try_into().ok())
            .ok_or(MaskError::Frame("truncated length"))?;
        let len = u32::from_be_bytes(len_bytes) as usize;
        let nal = frame
            .get(i + 4..i + 4 + len)
            .ok_or(MaskError::Frame("NAL unit longer than the frame"))?;
        out.push(nal);
        i += 4 + len;
    }
    Ok(out)
}

/// The NAL units of an Annex B byte stream (start codes 00 00 01 / 00 00 00 01).
pub fn annexb_nals(data: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= data.len() {
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let mut out = Vec::new();
    for (k, &s) in starts.iter().enumerate() {
        let mut e = starts.get(k + 1).map_or(data.len(), |&n| n - 3);
        // A 4-byte start code leaves a zero before the next 3-byte one.
        while e > s && data[e - 1] == 0 && k + 1 < starts.len() {
            e -= 1;
        }
        if e > s {
            out.push(&data[s..e]);
        }
    }
    out
}

impl Masker {
    /// A masker for `polygons` (normalised picture coordinates).
    pub fn new(polygons: Vec<Polygon>, settings: Settings) -> Result<Masker, MaskError> {
        let decoder = Decoder::with_api_config(OpenH264API::from_source(), DecoderConfig::new())
            .map_err(codec)?;
        Ok(Masker {
            polygons,
            settings,
            decoder,
            encoder: None,
            plan: None,
            buf: Vec::new(),
            sps: Vec::new(),
            pps: Vec::new(),
            annexb: Vec::new(),
            pending_change: false,
        })
    }

    /// Replaces the masks; the change takes effect at the next keyframe, so that a GOP is
    /// masked one way throughout (the segment index records the change).
    pub fn set_polygons(&mut self, polygons: Vec<Polygon>) {
        self.polygons = polygons;
        self.pending_change = true;
    }

    /// The avcC record of the re-encoded stream (after the first frame).
    pub fn avcc(&self) -> Option<Vec<u8>> {
        (!self.sps.is_empty() && !self.pps.is_empty()).then(|| build_avcc(&self.sps, &self.pps))
    }

    /// The macroblocks masked now.
    pub fn plan(&self) -> Option<&MacroblockMask> {
        self.plan.as_ref()
    }

    fn encoder_for(&mut self, w: usize, h: usize) -> Result<&mut Encoder, MaskError> {
        if !matches!(&self.encoder, Some((ew, eh, _)) if *ew == w && *eh == h) {
            let config = EncoderConfig::new()
                .bitrate(BitRate::from_bps(self.settings.bitrate))
                .max_frame_rate(FrameRate::from_hz(self.settings.fps))
                // Buffer-based rate control: quality follows the buffer, no frame is ever
                // skipped (a recorder keeps every frame), and OpenH264 does not print its
                // "bitrate can't be controlled without enabling skip frame" warning on the
                // console, which the bitrate mode without skipping does at every start (before
                // any log level can be set; issue 19, item 13). Same stored size in the demo.
                .rate_control_mode(RateControlMode::Bufferbased)
                .usage_type(UsageType::CameraVideoRealTime)
                .complexity(Complexity::Low)
                .skip_frames(false)
                .scene_change_detect(false)
                .num_threads(1)
                // Keyframes only where the camera put them (forced below).
                .intra_frame_period(IntraFramePeriod::from_num_frames(1_000_000));
            let enc =
                Encoder::with_api_config(OpenH264API::from_source(), config).map_err(codec)?;
            self.encoder = Some((w, h, enc));
            self.plan = None;
        }
        match &mut self.encoder {
            Some((_, _, e)) => Ok(e),
            None => Err(MaskError::Codec("no encoder".into())),
        }
    }

    /// Masks one frame given as 4-byte length-prefixed NAL units with the camera's avcC. Returns
    /// `None` when the decoder produced no picture for it (a frame it could not use).
    pub fn process(
        &mut self,
        frame: &[u8],
        keyframe: bool,
        camera_avcc: &[u8],
    ) -> Result<Option<MaskedFrame>, MaskError> {
        to_annexb(frame, keyframe, camera_avcc, &mut self.annexb)?;
        let annexb = std::mem::take(&mut self.annexb);
        let decoded = self.decoder.decode(&annexb).map_err(codec);
        let (w, h) = {
            let Some(yuv) = decoded? else {
                self.annexb = annexb;
                return Ok(None);
            };
            let (w, h) = yuv.dimensions();
            let (sy, su, sv) = yuv.strides();
            self.buf.resize(w * h * 3 / 2, 0);
            let (y, uv) = self.buf.split_at_mut(w * h);
            let (u, v) = uv.split_at_mut(w * h / 4);
            for r in 0..h {
                y[r * w..r * w + w].copy_from_slice(&yuv.y()[r * sy..r * sy + w]);
            }
            for r in 0..h / 2 {
                u[r * w / 2..r * w / 2 + w / 2].copy_from_slice(&yuv.u()[r * su..r * su + w / 2]);
                v[r * w / 2..r * w / 2 + w / 2].copy_from_slice(&yuv.v()[r * sv..r * sv + w / 2]);
            }
            (w, h)
        };
        self.annexb = annexb;
        self.mask_and_encode(w, h, keyframe)
    }

    /// The picture buffer (contiguous I420) that [`Masker::mask_and_encode`] works on, for a
    /// decoder outside the masker (the optional libavcodec one) to decode into.
    pub fn picture_buffer(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Masks the picture in the picture buffer (I420, `w × h`) and encodes it.
    pub fn mask_and_encode(
        &mut self,
        w: usize,
        h: usize,
        keyframe: bool,
    ) -> Result<Option<MaskedFrame>, MaskError> {
        // A new plan at a keyframe only: a GOP is masked one way throughout.
        if self.plan.as_ref().is_none_or(|p| p.width != w || p.height != h)
            || (keyframe && self.pending_change)
        {
            self.plan = Some(MacroblockMask::new(&self.polygons, w, h));
            self.pending_change = false;
        }
        if let Some(plan) = &self.plan {
            plan.fill_i420(&mut self.buf, BLACK_Y, BLACK_C);
        }
        let buf = std::mem::take(&mut self.buf);
        let enc = self.encoder_for(w, h)?;
        if keyframe {
            enc.force_intra_frame();
        }
        let stream = {
            let (y, uv) = buf.split_at(w * h);
            let (u, v) = uv.split_at(w * h / 4);
            let src = YUVSlices::new((y, u, v), (w, h), (w, w / 2, w / 2));
            enc.encode(&src).map_err(codec)?.to_vec()
        };
        self.buf = buf;
        Ok(Some(repack(&stream, &mut self.sps, &mut self.pps)))
    }
}

/// A camera frame (4-byte length-prefixed NAL units) as an Annex B access unit in `out`, for a
/// decoder: the camera's parameter sets (from its avcC) in front of every keyframe.
pub fn to_annexb(
    frame: &[u8],
    keyframe: bool,
    camera_avcc: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), MaskError> {
    out.clear();
    if keyframe {
        let (sps, pps) = parse_avcc(camera_avcc)?;
        for nal in sps.iter().chain(pps.iter()) {
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(nal);
        }
    }
    for nal in avcc_nals(frame)? {
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(nal);
    }
    Ok(())
}

/// An encoder's Annex B output as one stored frame: parameter sets kept aside (they go into the
/// avcC), every other NAL unit 4-byte length-prefixed; an IDR slice makes it a keyframe.
pub(crate) fn repack(stream: &[u8], sps: &mut Vec<u8>, pps: &mut Vec<u8>) -> MaskedFrame {
    let mut out = Vec::with_capacity(stream.len());
    let mut idr = false;
    for nal in annexb_nals(stream) {
        match nal.first().map(|b| b & 0x1f) {
            Some(7) => *sps = nal.to_vec(),
            Some(8) => *pps = nal.to_vec(),
            Some(t) => {
                idr |= t == 5;
                out.extend_from_slice(&(nal.len() as u32).to_be_bytes());
                out.extend_from_slice(nal);
            }
            None => {}
        }
    }
    MaskedFrame { data: out, keyframe: idr }
}
