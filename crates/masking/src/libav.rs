//! The optional `libav` build: libavcodec's H.264 decoder (faster than openh264's) in front of
//! openh264's encoder, and [`X264Masker`], libavcodec's decoder in front of libx264. Not `Send`
//! (libavcodec's contexts): the recorder runs an `X264Masker` on a thread of its own per camera
//! (`crate::MaskWorker`). `mimamori bench mask` measures both.

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

/// Decode (libavcodec), mask, and re-encode with libx264 through libavcodec (the same encoder
/// `ffmpeg -c:v libx264 -preset ultrafast` runs): the fast path of the optional `libav` build.
///
/// Licence: Debian's libavcodec is built `--enable-gpl` with libx264, so a binary built with
/// this feature is distributed under the GPL (see docs/masking.md); the default build uses
/// openh264 only. Not `Send` (libavcodec's contexts): one per thread.
pub struct X264Masker {
    polygons: Vec<crate::Polygon>,
    pending_change: bool,
    plan: Option<crate::MacroblockMask>,
    settings: crate::Settings,
    dec: Libav,
    enc: Option<(usize, usize, ff::encoder::video::Encoder)>,
    frame: ff::frame::Video,
    packet: ff::Packet,
    buf: Vec<u8>,
    stream: Vec<u8>,
    sps: Vec<u8>,
    pps: Vec<u8>,
    n: i64,
}

impl X264Masker {
    /// A masker for one camera.
    pub fn new(
        polygons: Vec<crate::Polygon>,
        settings: crate::Settings,
    ) -> Result<X264Masker, MaskError> {
        // libx264's statistics at every close are not ours to print.
        ff::util::log::set_level(ff::util::log::Level::Error);
        Ok(X264Masker {
            polygons,
            pending_change: false,
            plan: None,
            settings,
            dec: Libav::new()?,
            enc: None,
            frame: ff::frame::Video::empty(),
            packet: ff::Packet::empty(),
            buf: Vec::new(),
            stream: Vec::new(),
            sps: Vec::new(),
            pps: Vec::new(),
            n: 0,
        })
    }

    /// Replaces the masks from the next keyframe on.
    pub fn set_polygons(&mut self, polygons: Vec<crate::Polygon>) {
        self.polygons = polygons;
        self.pending_change = true;
    }

    /// The avcC record of the re-encoded stream (after the first frame).
    pub fn avcc(&self) -> Option<Vec<u8>> {
        (!self.sps.is_empty() && !self.pps.is_empty())
            .then(|| crate::build_avcc(&self.sps, &self.pps))
    }

    fn encoder_for(
        &mut self,
        w: usize,
        h: usize,
    ) -> Result<&mut ff::encoder::video::Encoder, MaskError> {
        if !matches!(&self.enc, Some((ew, eh, _)) if *ew == w && *eh == h) {
            let codec = ff::encoder::find_by_name("libx264")
                .ok_or(MaskError::Codec("libavcodec has no libx264 encoder".into()))?;
            let mut ctx = ff::codec::context::Context::new_with_codec(codec);
            ctx.set_threading(ff::threading::Config {
                kind: ff::threading::Type::None,
                count: 1,
                ..Default::default()
            });
            let mut v = ctx.encoder().video().map_err(err)?;
            v.set_width(w as u32);
            v.set_height(h as u32);
            v.set_format(ff::format::Pixel::YUV420P);
            let fps = self.settings.fps.round().max(1.0) as i32;
            v.set_time_base(ff::Rational(1, fps));
            v.set_frame_rate(Some(ff::Rational(fps, 1)));
            // Keyframes only where the camera put them (forced per frame below).
            v.set_gop(1_000_000);
            v.set_max_b_frames(0);
            v.set_bit_rate(self.settings.bitrate as usize);
            let mut opts = ff::Dictionary::new();
            opts.set("preset", "ultrafast");
            opts.set("tune", "zerolatency");
            opts.set("profile", "baseline");
            opts.set("forced-idr", "1");
            opts.set("x264-params", "scenecut=0:threads=1");
            let enc = v.open_as_with(codec, opts).map_err(err)?;
            self.enc = Some((w, h, enc));
            self.frame = ff::frame::Video::new(ff::format::Pixel::YUV420P, w as u32, h as u32);
            self.plan = None;
        }
        match &mut self.enc {
            Some((_, _, e)) => Ok(e),
            None => Err(MaskError::Codec("no encoder".into())),
        }
    }

    /// Masks one access unit given in Annex B (parameter sets in front of keyframes). `None`
    /// when no picture came out of the decoder for it.
    pub fn process(
        &mut self,
        annexb: &[u8],
        keyframe: bool,
    ) -> Result<Option<crate::MaskedFrame>, MaskError> {
        let Some((w, h)) = self.dec.decode(annexb, &mut self.buf)? else {
            return Ok(None);
        };
        // The encoder first: a new one (a new picture size) drops the old plan.
        self.encoder_for(w, h)?;
        if self.plan.as_ref().is_none_or(|p| p.width != w || p.height != h)
            || (keyframe && self.pending_change)
        {
            self.plan = Some(crate::MacroblockMask::new(&self.polygons, w, h));
            self.pending_change = false;
        }
        if let Some(plan) = &self.plan {
            plan.fill_i420(&mut self.buf, crate::BLACK_Y, crate::BLACK_C);
        }
        // Into the encoder's frame, plane by plane at its strides.
        let planes = [(0, w, h, 0), (1, w / 2, h / 2, w * h), (2, w / 2, h / 2, w * h * 5 / 4)];
        for (plane, cw, ch, at) in planes {
            let stride = self.frame.stride(plane);
            let dst = self.frame.data_mut(plane);
            for r in 0..ch {
                dst[r * stride..r * stride + cw]
                    .copy_from_slice(&self.buf[at + r * cw..at + r * cw + cw]);
            }
        }
        self.frame.set_pts(Some(self.n));
        self.n += 1;
        self.frame.set_kind(if keyframe { ff::picture::Type::I } else { ff::picture::Type::None });
        let Some((_, _, enc)) = &mut self.enc else {
            return Err(MaskError::Codec("no encoder".into()));
        };
        enc.send_frame(&self.frame).map_err(err)?;
        self.stream.clear();
        loop {
            match enc.receive_packet(&mut self.packet) {
                Ok(()) => self.stream.extend_from_slice(self.packet.data().unwrap_or_default()),
                Err(ff::Error::Other { errno }) if errno == ff::util::error::EAGAIN => break,
                Err(e) => return Err(err(e)),
            }
        }
        if self.stream.is_empty() {
            return Ok(None);
        }
        Ok(Some(crate::repack(&self.stream, &mut self.sps, &mut self.pps)))
    }
}
