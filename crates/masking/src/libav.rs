//! libavcodec's H.264 decoder (optional feature `libav`): faster than openh264's, in front of
//! the same encoder. Not `Send` (libavcodec's context), so the recorder does not use it yet: it
//! needs its own thread per camera. `mimamori bench mask` measures it.

use crate::MaskError;
use ffmpeg_next as ff;

/// A single-threaded low-delay H.264 decoder.
pub struct Libav {
    dec: ff::decoder::Video,
    frame: ff::frame::Video,
}

fn err(e: ff::Error) -> MaskError {
    MaskError::Codec(format!("libavcodec: {e}"))
}

impl Libav {
    /// A decoder.
    pub fn new() -> Result<Libav, MaskError> {
        ff::init().map_err(err)?;
        let codec = ff::decoder::find(ff::codec::Id::H264)
            .ok_or(MaskError::Codec("libavcodec has no H.264 decoder".into()))?;
        let mut ctx = ff::codec::context::Context::new_with_codec(codec);
        // One thread (per-core cost), no frame delay.
        ctx.set_threading(ff::threading::Config {
            kind: ff::threading::Type::None,
            count: 1,
            ..Default::default()
        });
        ctx.set_flags(ff::codec::Flags::LOW_DELAY);
        let dec = ctx.decoder().video().map_err(err)?;
        Ok(Libav { dec, frame: ff::frame::Video::empty() })
    }

    /// Decodes one Annex B access unit into `buf` (contiguous I420); the picture's size, or
    /// `None` when no picture came out.
    pub fn decode(
        &mut self,
        annexb: &[u8],
        buf: &mut Vec<u8>,
    ) -> Result<Option<(usize, usize)>, MaskError> {
        self.dec.send_packet(&ff::Packet::copy(annexb)).map_err(err)?;
        match self.dec.receive_frame(&mut self.frame) {
            Ok(()) => {}
            Err(ff::Error::Other { errno }) if errno == ff::util::error::EAGAIN => return Ok(None),
            Err(e) => return Err(err(e)),
        }
        let f = &self.frame;
        if f.format() != ff::format::Pixel::YUV420P && f.format() != ff::format::Pixel::YUVJ420P {
            return Err(MaskError::Codec(format!("unsupported pixel format {:?}", f.format())));
        }
        let (w, h) = (f.width() as usize, f.height() as usize);
        buf.resize(w * h * 3 / 2, 0);
        let (y, uv) = buf.split_at_mut(w * h);
        let (u, v) = uv.split_at_mut(w * h / 4);
        let copy = |dst: &mut [u8], plane: usize, cw: usize, ch: usize| {
            let stride = f.stride(plane);
            let src = f.data(plane);
            for r in 0..ch {
                dst[r * cw..r * cw + cw].copy_from_slice(&src[r * stride..r * stride + cw]);
            }
        };
        copy(y, 0, w, h);
        copy(u, 1, w / 2, h / 2);
        copy(v, 2, w / 2, h / 2);
        Ok(Some((w, h)))
    }
}
