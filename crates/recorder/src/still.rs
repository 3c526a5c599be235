//! The still for checking a camera's aim and masks (ALL-REC-2): one picture, decoded *from what
//! was stored* — for a camera masked in the recorder that is the masked stream, so the still
//! shows the masks as recorded. Before commissioning it is the first keyframe of the newest
//! sealed segment; under an instruction it is the first keyframe recorded within the instructed
//! range. Whether a still may be taken at all is the governance server's decision; this module
//! only makes the picture.

use crate::{Ctx, Error};
use openh264::decoder::Decoder;
use openh264::formats::YUVSource;

/// A PNG of a stored keyframe of `camera`, with when it was recorded (UTC ms): the newest
/// segment's first keyframe, or with `within = Some((from, to))` the first keyframe recorded in
/// `[from, to)` (UTC ms).
pub async fn take(
    ctx: &Ctx,
    camera: &str,
    within: Option<(i64, i64)>,
) -> Result<(Vec<u8>, i64), Error> {
    let nothing = || Error::Refused(format!("camera {camera}: no keyframe recorded in the range"));
    let rows = match within {
        None => ctx.db.head(camera).await?.into_iter().collect(),
        Some((from, to)) => ctx.db.segments_between(camera, from, to).await?,
    };
    let (from, to) = within.unwrap_or((i64::MIN, i64::MAX));
    let now = ctx.clock.now_ms();
    for row in rows {
        // Footage past its erase instant is not shown either (issue 25, D8).
        if !crate::sweeper::retained(ctx, &row, now).await? {
            continue;
        }
        if let Some(found) = keyframe_png(ctx, camera, &row, from, to).await? {
            return Ok(found);
        }
    }
    Err(nothing())
}

/// The first keyframe of segment `row` recorded in `[from, to)`, as a PNG, with its time.
async fn keyframe_png(
    ctx: &Ctx,
    camera: &str,
    row: &crate::db::SegmentRow,
    from: i64,
    to: i64,
) -> Result<Option<(Vec<u8>, i64)>, Error> {
    let k = ctx
        .db
        .key(&row.key_id)
        .await?
        .ok_or_else(|| Error::Refused(format!("camera {camera}: this footage was erased")))?;
    let key = ctx.kek.unwrap(&k.wrapped, camera, &k.day, &k.key_id)?;
    let path = ctx.segment_file(&row.path);
    tokio::task::spawn_blocking(move || -> Result<Option<(Vec<u8>, i64)>, Error> {
        let c = media::segment::read(&path, &key)?;
        let params = c.params.ok_or_else(|| Error::Corrupt("segment without parameters".into()))?;
        let Some(frame) =
            c.frames.iter().find(|f| f.keyframe && f.wall_ms >= from && f.wall_ms < to)
        else {
            return Ok(None);
        };
        let avcc = hex::decode(&params.extra_data)
            .map_err(|_| Error::Corrupt("codec parameters".into()))?;
        let (sps, pps) =
            masking::parse_avcc(&avcc).map_err(|e| Error::Corrupt(format!("avcC: {e}")))?;
        let mut annexb = Vec::new();
        let nals = masking::avcc_nals(&frame.data).map_err(|e| Error::Corrupt(e.to_string()))?;
        for nal in sps.iter().chain(&pps).map(Vec::as_slice).chain(nals) {
            annexb.extend_from_slice(&[0, 0, 0, 1]);
            annexb.extend_from_slice(nal);
        }
        let mut d = Decoder::new().map_err(|e| Error::Camera(format!("decoder: {e}")))?;
        let yuv = d
            .decode(&annexb)
            .map_err(|e| Error::Corrupt(format!("keyframe: {e}")))?
            .ok_or_else(|| Error::Corrupt("the keyframe decodes to no picture".into()))?;
        let (w, h) = yuv.dimensions();
        let mut rgb = vec![0; w * h * 3];
        yuv.write_rgb8(&mut rgb);
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, w as u32, h as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().map_err(|e| Error::Camera(format!("png: {e}")))?;
        wr.write_image_data(&rgb).map_err(|e| Error::Camera(format!("png: {e}")))?;
        wr.finish().map_err(|e| Error::Camera(format!("png: {e}")))?;
        Ok(Some((out, frame.wall_ms)))
    })
    .await
    .map_err(|e| Error::Camera(e.to_string()))?
}
