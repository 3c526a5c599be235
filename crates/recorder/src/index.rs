//! The compact per-segment frame index kept in the node database: one varint-encoded record per
//! frame (Moonfire NVR's lesson: design for the cost that grows with frames × cameras × days).
//!
//! Layout: `varint(first chunk offset)` then per frame `varint(pts delta)`,
//! `varint(zigzag wall delta)`, `varint(size << 1 | keyframe)`.

/// One frame's entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Media timestamp.
    pub pts: i64,
    /// Wall clock, UTC ms.
    pub wall_ms: i64,
    /// Access unit size.
    pub size: u32,
    /// Keyframe.
    pub keyframe: bool,
    /// Offset of the frame's chunk in the file.
    pub offset: u64,
}

/// Builds an index as frames are written.
#[derive(Debug, Default, Clone)]
pub struct Builder {
    buf: Vec<u8>,
    last_pts: Option<i64>,
    last_wall: i64,
}

fn put(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Per-frame chunk overhead: length prefix, kind, pts, wall, flags, tag.
pub const CHUNK_OVERHEAD: u64 = 4 + 1 + 8 + 8 + 1 + 16;

impl Builder {
    /// A builder whose first frame chunk starts at `first_offset`.
    pub fn new(first_offset: u64) -> Self {
        let mut b = Builder::default();
        put(&mut b.buf, first_offset);
        b
    }

    /// Adds a frame.
    pub fn push(&mut self, pts: i64, wall_ms: i64, size: u32, keyframe: bool) {
        let dp = self.last_pts.map_or(pts, |l| pts - l);
        put(&mut self.buf, zigzag(dp));
        put(&mut self.buf, zigzag(wall_ms - self.last_wall));
        put(&mut self.buf, (u64::from(size) << 1) | u64::from(keyframe));
        self.last_pts = Some(pts);
        self.last_wall = wall_ms;
    }

    /// The encoded index.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// Decodes an index; `None` if malformed.
pub fn decode(buf: &[u8]) -> Option<Vec<Entry>> {
    let mut i = 0;
    let mut get = || -> Option<u64> {
        let mut v = 0u64;
        let mut shift = 0;
        loop {
            let b = *buf.get(i)?;
            i += 1;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
            shift += 7;
            if shift > 63 {
                return None;
            }
        }
    };
    let mut offset = get()?;
    let mut out = Vec::new();
    let (mut pts, mut wall) = (0i64, 0i64);
    let mut first = true;
    while let Some(dp) = get() {
        let dp = unzigzag(dp);
        pts = if first { dp } else { pts + dp };
        first = false;
        wall += unzigzag(get()?);
        let sk = get()?;
        let size = u32::try_from(sk >> 1).ok()?;
        out.push(Entry { pts, wall_ms: wall, size, keyframe: sk & 1 == 1, offset });
        offset += CHUNK_OVERHEAD + u64::from(size);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut b = Builder::new(300);
        let frames = [
            (9_000_000i64, 1_795_000_000_000i64, 90_000u32, true),
            (9_003_600, 1_795_000_000_040, 4000, false),
            (9_007_200, 1_795_000_000_079, 3900, false),
        ];
        for (p, w, s, k) in frames {
            b.push(p, w, s, k);
        }
        let enc = b.finish();
        assert!(enc.len() < 30, "compact: {} bytes for 3 frames", enc.len());
        let d = decode(&enc).unwrap();
        assert_eq!(d.len(), 3);
        assert_eq!(
            (d[1].pts, d[1].wall_ms, d[1].size, d[1].keyframe),
            (9_003_600, 1_795_000_000_040, 4000, false)
        );
        assert_eq!(d[1].offset, 300 + CHUNK_OVERHEAD + 90_000);
    }
}
