//! The clip every simulated camera loops: H.264 access units in AVCC form with the parameter sets
//! kept apart, loaded from an MP4 file or synthesised with openh264.

use crate::Error;
use std::path::Path;

/// One access unit of the clip.
#[derive(Debug, Clone)]
pub struct ClipFrame {
    /// NAL units without start codes or length prefixes (SPS/PPS removed).
    pub nals: Vec<Vec<u8>>,
    /// An IDR access unit.
    pub keyframe: bool,
}

/// A clip.
#[derive(Debug, Clone)]
pub struct Clip {
    /// Frames in decoding order (no B-frames).
    pub frames: Vec<ClipFrame>,
    /// Sequence parameter set NAL.
    pub sps: Vec<u8>,
    /// Picture parameter set NAL.
    pub pps: Vec<u8>,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
    /// Frames per second.
    pub fps: u32,
}

impl Clip {
    /// Bytes of all frames.
    pub fn bytes(&self) -> usize {
        self.frames.iter().flat_map(|f| &f.nals).map(Vec::len).sum()
    }

    /// `profile-level-id` for the SDP (three bytes of the SPS after the NAL header).
    pub fn profile_level_id(&self) -> String {
        self.sps
            .get(1..4)
            .map(|b| format!("{:02x}{:02x}{:02x}", b[0], b[1], b[2]))
            .unwrap_or_else(|| "42e01f".into())
    }

    /// The AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1) of the clip's parameter
    /// sets: what an MP4 `avcC` box and the recorder's segment header carry.
    pub fn avc_decoder_config(&self) -> Result<Vec<u8>, Error> {
        let (Some(profile), Ok(sps_len), Ok(pps_len)) =
            (self.sps.get(1..4), u16::try_from(self.sps.len()), u16::try_from(self.pps.len()))
        else {
            return Err(Error::Clip("the clip's parameter sets are malformed".into()));
        };
        let mut avcc = vec![1, profile[0], profile[1], profile[2], 0xff, 0xe1];
        avcc.extend_from_slice(&sps_len.to_be_bytes());
        avcc.extend_from_slice(&self.sps);
        avcc.push(1);
        avcc.extend_from_slice(&pps_len.to_be_bytes());
        avcc.extend_from_slice(&self.pps);
        Ok(avcc)
    }
}

/// Splits an Annex B byte stream into NAL units (the recorder's masking crate's splitter).
pub use masking::annexb_nals;

fn split_params(
    frames_nals: Vec<(Vec<Vec<u8>>, bool)>,
    width: u32,
    height: u32,
    fps: u32,
) -> Result<Clip, Error> {
    let mut sps = None;
    let mut pps = None;
    let mut frames = Vec::new();
    for (nals, keyframe) in frames_nals {
        let mut kept = Vec::new();
        for n in nals {
            match n.first().map(|b| b & 0x1f) {
                Some(7) => sps = Some(n),
                Some(8) => pps = Some(n),
                Some(9) | None => {}
                Some(_) => kept.push(n),
            }
        }
        if !kept.is_empty() {
            frames.push(ClipFrame { nals: kept, keyframe });
        }
    }
    let (Some(sps), Some(pps)) = (sps, pps) else {
        return Err(Error::Clip("the clip carries no SPS/PPS".into()));
    };
    if !frames.first().is_some_and(|f| f.keyframe) {
        return Err(Error::Clip("the clip must start with a keyframe".into()));
    }
    Ok(Clip { frames, sps, pps, width, height, fps })
}

/// Loads the first H.264 track of an MP4 file (High profile, no B-frames works best: see
/// shared/tools/make-clip.sh).
pub fn load_mp4(path: &Path) -> Result<Clip, Error> {
    let f = std::fs::File::open(path)?;
    let size = f.metadata()?.len();
    let mut r = mp4::Mp4Reader::read_header(std::io::BufReader::new(f), size)
        .map_err(|e| Error::Clip(e.to_string()))?;
    let (id, width, height, fps, sps, pps, count) = {
        let (id, t) = r
            .tracks()
            .iter()
            .find(|(_, t)| matches!(t.media_type(), Ok(mp4::MediaType::H264)))
            .ok_or_else(|| Error::Clip("no H.264 track".into()))?;
        let sps = t.sequence_parameter_set().map_err(|e| Error::Clip(e.to_string()))?.to_vec();
        let pps = t.picture_parameter_set().map_err(|e| Error::Clip(e.to_string()))?.to_vec();
        let fps = t.frame_rate().round().max(1.0) as u32;
        (*id, u32::from(t.width()), u32::from(t.height()), fps, sps, pps, t.sample_count())
    };
    let mut frames = vec![(vec![sps, pps], false)];
    for i in 1..=count {
        let Some(s) = r.read_sample(id, i).map_err(|e| Error::Clip(e.to_string()))? else { break };
        if s.rendering_offset != 0 {
            return Err(Error::Clip(
                "the clip has B-frames; re-encode it with -bf 0 (make-clip.sh does)".into(),
            ));
        }
        let mut nals = Vec::new();
        let mut b = &s.bytes[..];
        while b.len() >= 4 {
            let n = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
            if b.len() < 4 + n {
                return Err(Error::Clip(format!("sample {i} is malformed")));
            }
            nals.push(b[4..4 + n].to_vec());
            b = &b[4 + n..];
        }
        frames.push((nals, s.is_sync));
    }
    // The first pseudo-frame only carries the parameter sets; split_params drops it.
    split_params(frames, width, height, fps)
}

/// How often one picture is offered again when the rate control skipped it.
const SKIP_RETRIES: usize = 16;

/// Synthesises a clip with openh264: `seconds` of a moving test pattern, a keyframe every two
/// seconds, `fps × seconds` frames at about `bitrate`.
///
/// The rate control may skip frames: OpenH264 warns on the console (before any log level can be
/// set) when a bitrate is asked for with skipping off (issue 19, item 13). A skipped picture is
/// offered again at the same time, so the clip still has every frame; the bitrate comes out a few
/// per cent above the one asked for.
pub fn synthesize(
    width: u32,
    height: u32,
    fps: u32,
    bitrate: u32,
    seconds: u32,
) -> Result<Clip, Error> {
    use openh264::encoder::{
        BitRate, Encoder, EncoderConfig, FrameRate, IntraFramePeriod, RateControlMode, UsageType,
    };
    use openh264::formats::YUVBuffer;
    use openh264::{OpenH264API, Timestamp};
    let (w, h) = ((width & !1) as usize, (height & !1) as usize);
    let config = EncoderConfig::new()
        .bitrate(BitRate::from_bps(bitrate))
        .max_frame_rate(FrameRate::from_hz(fps as f32))
        .rate_control_mode(RateControlMode::Bitrate)
        .usage_type(UsageType::CameraVideoRealTime)
        .skip_frames(true)
        .intra_frame_period(IntraFramePeriod::from_num_frames(fps * 2));
    let mut enc = Encoder::with_api_config(OpenH264API::from_source(), config)
        .map_err(|e| Error::Clip(e.to_string()))?;
    let mut yuv = vec![0u8; w * h * 3 / 2];
    let mut out = Vec::new();
    for i in 0..(fps * seconds) as usize {
        let (luma, chroma) = yuv.split_at_mut(w * h);
        for y in 0..h {
            for x in 0..w {
                // Diagonal bands moving right, and a bright box walking across.
                let band = ((x + y + i * 4) / 32 % 2) as u8;
                let in_box = (x + i * 8) % w < w / 8 && y > h / 3 && y < h / 2;
                luma[y * w + x] =
                    if in_box { 235 } else { 60 + band * 90 + ((x * 255 / w) as u8 / 4) };
            }
        }
        for (k, c) in chroma.iter_mut().enumerate() {
            *c = (128 + ((k + i * 3) % 64) as i32 - 32) as u8;
        }
        let buf = YUVBuffer::from_vec(yuv.clone(), w, h);
        let at = Timestamp::from_millis((i as u64 * 1000) / u64::from(fps.max(1)));
        let mut annexb = Vec::new();
        for _ in 0..SKIP_RETRIES {
            annexb = enc.encode_at(&buf, at).map_err(|e| Error::Clip(e.to_string()))?.to_vec();
            if !annexb.is_empty() {
                break;
            }
        }
        if annexb.is_empty() {
            return Err(Error::Clip(format!("the encoder skipped frame {i} {SKIP_RETRIES} times")));
        }
        let nals: Vec<Vec<u8>> = annexb_nals(&annexb).into_iter().map(<[u8]>::to_vec).collect();
        let key = nals.iter().any(|n| n.first().is_some_and(|b| b & 0x1f == 5));
        out.push((nals, key));
    }
    split_params(out, w as u32, h as u32, fps)
}

/// The clip as a camera that masks at the source sends it: every frame decoded, the macroblocks
/// the `polygons` touch blacked out, re-encoded with keyframes where the clip has them (the
/// `masking` crate's burn-in, here standing in for a camera's own masking engine). The frame
/// count and keyframe positions are the clip's, so a mount can switch clips at any keyframe.
pub fn masked(clip: &Clip, polygons: &[masking::Polygon]) -> Result<Clip, Error> {
    let avcc = clip.avc_decoder_config()?;
    let bits =
        clip.bytes() as u64 * 8 * u64::from(clip.fps.max(1)) / clip.frames.len().max(1) as u64;
    let settings = masking::Settings {
        bitrate: u32::try_from(bits).unwrap_or(u32::MAX).max(200_000),
        fps: clip.fps.max(1) as f32,
    };
    let mut masker = masking::Masker::new(polygons.to_vec(), settings)
        .map_err(|e| Error::Clip(format!("masks: {e}")))?;
    let mut frames = Vec::with_capacity(clip.frames.len());
    let mut data = Vec::new();
    for (i, f) in clip.frames.iter().enumerate() {
        data.clear();
        for nal in &f.nals {
            data.extend_from_slice(&(nal.len() as u32).to_be_bytes());
            data.extend_from_slice(nal);
        }
        let out = masker
            .process(&data, f.keyframe, &avcc)
            .map_err(|e| Error::Clip(format!("masks, frame {i}: {e}")))?
            .ok_or_else(|| Error::Clip(format!("masks: frame {i} did not decode")))?;
        let nals = masking::avcc_nals(&out.data)
            .map_err(|e| Error::Clip(format!("masks, frame {i}: {e}")))?
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect();
        frames.push(ClipFrame { nals, keyframe: f.keyframe && out.keyframe });
    }
    let avcc = masker.avcc().ok_or_else(|| Error::Clip("masks: no parameter sets".into()))?;
    let (sps, pps) = masking::parse_avcc(&avcc).map_err(|e| Error::Clip(format!("masks: {e}")))?;
    Ok(Clip {
        frames,
        sps: sps.into_iter().next().unwrap_or_default(),
        pps: pps.into_iter().next().unwrap_or_default(),
        width: clip.width,
        height: clip.height,
        fps: clip.fps,
    })
}
