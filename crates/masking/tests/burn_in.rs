//! Masks burned into real H.264 (openh264's own test pattern clip from the camera simulator):
//! every pixel inside a mask polygon decodes black, pixels outside stay close to the source,
//! keyframes stay where the camera put them, and a mask change takes effect at the next
//! keyframe. rule: ASA-2.1

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use masking::{Masker, Polygon, Settings, build_avcc};
use openh264::decoder::Decoder;
use openh264::formats::YUVSource;

/// Decodes Annex B access units to contiguous I420 pictures.
fn decode_all(units: &[Vec<u8>]) -> Vec<(usize, usize, Vec<u8>)> {
    let mut d = Decoder::new().unwrap();
    let mut out = Vec::new();
    for u in units {
        if let Some(y) = d.decode(u).unwrap() {
            let (w, h) = y.dimensions();
            let (sy, su, sv) = y.strides();
            let mut buf = Vec::with_capacity(w * h * 3 / 2);
            for r in 0..h {
                buf.extend_from_slice(&y.y()[r * sy..r * sy + w]);
            }
            for r in 0..h / 2 {
                buf.extend_from_slice(&y.u()[r * su..r * su + w / 2]);
            }
            for r in 0..h / 2 {
                buf.extend_from_slice(&y.v()[r * sv..r * sv + w / 2]);
            }
            out.push((w, h, buf));
        }
    }
    out
}

fn annexb(nals: &[&[u8]]) -> Vec<u8> {
    let mut v = Vec::new();
    for n in nals {
        v.extend_from_slice(&[0, 0, 0, 1]);
        v.extend_from_slice(n);
    }
    v
}

fn avcc_frame(nals: &[Vec<u8>]) -> Vec<u8> {
    let mut v = Vec::new();
    for n in nals {
        v.extend_from_slice(&(n.len() as u32).to_be_bytes());
        v.extend_from_slice(n);
    }
    v
}

fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let mse: f64 =
        a.iter().zip(b).map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2)).sum::<f64>()
            / a.len().max(1) as f64;
    if mse == 0.0 { 99.0 } else { 10.0 * (255.0f64 * 255.0 / mse).log10() }
}

/// What a masker is asked in these tests: set the polygons, mask one frame (given both as the
/// camera's length-prefixed NAL units with its avcC, and as an Annex B access unit), and the
/// re-encoded stream's avcC.
trait Burner {
    fn set(&mut self, polygons: Vec<Polygon>);
    fn frame(
        &mut self,
        avcc_frame: &[u8],
        annexb: &[u8],
        key: bool,
        cam_avcc: &[u8],
    ) -> masking::MaskedFrame;
    fn avcc(&self) -> Vec<u8>;
}

impl Burner for Masker {
    fn set(&mut self, polygons: Vec<Polygon>) {
        self.set_polygons(polygons);
    }
    fn frame(&mut self, f: &[u8], _: &[u8], key: bool, cam_avcc: &[u8]) -> masking::MaskedFrame {
        self.process(f, key, cam_avcc).unwrap().expect("a picture per frame")
    }
    fn avcc(&self) -> Vec<u8> {
        Masker::avcc(self).unwrap()
    }
}

#[cfg(feature = "libav")]
impl Burner for masking::libav::X264Masker {
    fn set(&mut self, polygons: Vec<Polygon>) {
        self.set_polygons(polygons);
    }
    fn frame(&mut self, _: &[u8], unit: &[u8], key: bool, _: &[u8]) -> masking::MaskedFrame {
        self.process(unit, key).unwrap().expect("a picture per frame")
    }
    fn avcc(&self) -> Vec<u8> {
        masking::libav::X264Masker::avcc(self).unwrap()
    }
}

const FIRST: [(f64, f64); 4] = [(0.1, 0.2), (0.45, 0.25), (0.4, 0.6), (0.12, 0.55)];

#[test]
fn masked_pixels_are_black_and_the_rest_is_kept() {
    let first = Polygon::from_pairs(&FIRST);
    let m = Masker::new(vec![first], Settings { bitrate: 800_000, fps: 25.0 }).unwrap();
    burn_in(m);
}

/// The same checks for the libav build's libavcodec decoder + libx264 encoder.
#[cfg(feature = "libav")]
#[test]
fn masked_pixels_are_black_and_the_rest_is_kept_with_libx264() {
    let first = Polygon::from_pairs(&FIRST);
    let m = masking::libav::X264Masker::new(vec![first], Settings { bitrate: 800_000, fps: 25.0 })
        .unwrap();
    burn_in(m);
}

fn burn_in(mut m: impl Burner) {
    let clip = camsim::synthesize(320, 240, 25, 800_000, 4).unwrap();
    let cam_avcc = build_avcc(&clip.sps, &clip.pps);
    let first = Polygon::from_pairs(&FIRST);
    let second = Polygon::from_pairs(&[(0.6, 0.6), (0.95, 0.6), (0.95, 0.95), (0.6, 0.95)]);
    let change_at = 30; // mid-GOP: keyframes are at 0, 50
    let mut source_units = Vec::new();
    let mut masked_units = Vec::new();
    let mut keyframes = Vec::new();
    for (i, f) in clip.frames.iter().enumerate() {
        if i == change_at {
            m.set(vec![second.clone()]);
        }
        let mut src: Vec<&[u8]> = Vec::new();
        if f.keyframe {
            src.push(&clip.sps);
            src.push(&clip.pps);
        }
        src.extend(f.nals.iter().map(Vec::as_slice));
        source_units.push(annexb(&src));
        let out =
            m.frame(&avcc_frame(&f.nals), source_units.last().unwrap(), f.keyframe, &cam_avcc);
        assert_eq!(out.keyframe, f.keyframe, "frame {i}: keyframes where the camera put them");
        keyframes.push(out.keyframe);
        let avcc = m.avcc();
        let (sps, pps) = masking::parse_avcc(&avcc).unwrap();
        let mut nals: Vec<Vec<u8>> = Vec::new();
        if out.keyframe {
            nals.push(sps[0].clone());
            nals.push(pps[0].clone());
        }
        nals.extend(masking::avcc_nals(&out.data).unwrap().into_iter().map(<[u8]>::to_vec));
        masked_units.push(annexb(&nals.iter().map(Vec::as_slice).collect::<Vec<_>>()));
    }
    let src = decode_all(&source_units);
    let out = decode_all(&masked_units);
    assert_eq!(src.len(), clip.frames.len());
    assert_eq!(out.len(), clip.frames.len(), "no frame dropped");
    assert_eq!(keyframes.iter().filter(|k| **k).count(), 2);
    let (w, h) = (320usize, 240usize);
    for (i, ((_, _, s), (_, _, o))) in src.iter().zip(&out).enumerate() {
        // Until the next keyframe after the change, the first mask; from it, the second.
        let mask = if i < 50 { &first } else { &second };
        let other = if i < 50 { &second } else { &first };
        let plan = masking::MacroblockMask::new(std::slice::from_ref(mask), w, h);
        let (mut inside, mut outside_o, mut outside_s) = (0, Vec::new(), Vec::new());
        for y in 0..h {
            for x in 0..w {
                let (nx, ny) = ((x as f64 + 0.5) / w as f64, (y as f64 + 0.5) / h as f64);
                let yo = o[y * w + x];
                if mask.contains(nx, ny) {
                    assert!(yo <= 16 + 8, "frame {i}: luma {yo} at ({x},{y}) inside the mask");
                    let c = w * h + (y / 2) * (w / 2) + x / 2;
                    let (u, v) = (o[c], o[c + w * h / 4]);
                    assert!(
                        u.abs_diff(128) <= 12 && v.abs_diff(128) <= 12,
                        "frame {i}: chroma ({u},{v}) inside the mask"
                    );
                    inside += 1;
                } else if !plan.covers(x, y) {
                    outside_o.push(yo);
                    outside_s.push(s[y * w + x]);
                }
                // The other polygon's area is not masked in this GOP.
                if other.contains(nx, ny) && !plan.covers(x, y) && y % 37 == 0 && x % 41 == 0 {
                    assert!(
                        yo > 30 || s[y * w + x] <= 40,
                        "frame {i}: ({x},{y}) masked out of turn"
                    );
                }
            }
        }
        assert!(inside > 1000);
        let q = psnr(&outside_s, &outside_o);
        assert!(q > 30.0, "frame {i}: PSNR outside the mask {q:.1} dB");
    }
}

#[test]
fn malformed_input_is_an_error_not_a_panic() {
    let mut m = Masker::new(vec![], Settings { bitrate: 500_000, fps: 25.0 }).unwrap();
    assert!(m.process(&[0, 0, 0, 9, 1], true, &[1, 66, 0, 30, 0xff, 0xe1]).is_err());
    assert!(masking::parse_avcc(&[0, 1, 2]).is_err());
    assert!(masking::avcc_nals(&[0, 0, 0, 200, 1, 2]).is_err());
}

/// Issue 19, item 13 — the masker says nothing on the console: OpenH264 warns on stderr, before
/// any log level can be set, when its rate control may not skip frames (a recorder never
/// skips), so the masker uses the buffer-based rate control, which skips none and does not
/// warn. Run in a child process: the C library writes to the process's stderr.
#[test]
fn the_masker_says_nothing_on_the_console() {
    const CHILD: &str = "MASKING_TEST_CHILD";
    let clip = camsim::synthesize(320, 240, 25, 800_000, 1).unwrap();
    if std::env::var_os(CHILD).is_some() {
        eprintln!("--- masking starts ---");
        let first = Polygon::from_pairs(&FIRST);
        let mut m = Masker::new(vec![first], Settings { bitrate: 800_000, fps: 25.0 }).unwrap();
        let cam_avcc = build_avcc(&clip.sps, &clip.pps);
        let mut masked = 0;
        for f in &clip.frames {
            if m.process(&avcc_frame(&f.nals), f.keyframe, &cam_avcc).unwrap().is_some() {
                masked += 1;
            }
        }
        assert_eq!(masked, clip.frames.len());
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "the_masker_says_nothing_on_the_console", "--nocapture"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let (_, masking) = err.split_once("--- masking starts ---").expect("the child ran");
    assert!(!masking.contains("OpenH264"), "the masker wrote to the console: {masking}");
}
