//! Mask polygons in normalised picture coordinates, the macroblocks they touch, and the public
//! share of a picture (KAW-2.1.3).

use serde::{Deserialize, Serialize};

/// A point in normalised picture coordinates: (0, 0) top left, (1, 1) bottom right.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Across, 0..=1.
    pub x: f64,
    /// Down, 0..=1.
    pub y: f64,
}

/// A simple polygon (at least three points, normalised coordinates).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Polygon(pub Vec<Point>);

impl Polygon {
    /// A polygon from `(x, y)` pairs.
    pub fn from_pairs(pairs: &[(f64, f64)]) -> Polygon {
        Polygon(pairs.iter().map(|&(x, y)| Point { x, y }).collect())
    }

    /// Checks it: three points or more, every coordinate within the picture.
    pub fn validate(&self) -> Result<(), String> {
        if self.0.len() < 3 {
            return Err(format!("a polygon needs at least 3 points, not {}", self.0.len()));
        }
        if let Some(p) =
            self.0.iter().find(|p| !(0.0..=1.0).contains(&p.x) || !(0.0..=1.0).contains(&p.y))
        {
            return Err(format!("point ({}, {}) is outside the picture (0..1)", p.x, p.y));
        }
        Ok(())
    }

    /// Whether `(x, y)` is inside (even-odd rule).
    pub fn contains(&self, x: f64, y: f64) -> bool {
        let pts = &self.0;
        let mut inside = false;
        let mut j = pts.len().wrapping_sub(1);
        for i in 0..pts.len() {
            let (a, b) = (pts[i], pts[j]);
            if (a.y > y) != (b.y > y) && x < (b.x - a.x) * (y - a.y) / (b.y - a.y) + a.x {
                inside = !inside;
            }
            j = i;
        }
        inside
    }

    /// Whether the polygon touches the rectangle `[x0, x1] × [y0, y1]` (edges included).
    pub fn touches_rect(&self, x0: f64, y0: f64, x1: f64, y1: f64) -> bool {
        let pts = &self.0;
        if pts.iter().any(|p| p.x >= x0 && p.x <= x1 && p.y >= y0 && p.y <= y1) {
            return true;
        }
        if [(x0, y0), (x1, y0), (x0, y1), (x1, y1)].iter().any(|&(x, y)| self.contains(x, y)) {
            return true;
        }
        let rect = [
            ((x0, y0), (x1, y0)),
            ((x1, y0), (x1, y1)),
            ((x1, y1), (x0, y1)),
            ((x0, y1), (x0, y0)),
        ];
        (0..pts.len()).any(|i| {
            let (a, b) = (pts[i], pts[(i + 1) % pts.len()]);
            rect.iter().any(|&(c, d)| segments_cross((a.x, a.y), (b.x, b.y), c, d))
        })
    }
}

fn orient(a: (f64, f64), b: (f64, f64), c: (f64, f64)) -> f64 {
    (b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0)
}

fn segments_cross(a: (f64, f64), b: (f64, f64), c: (f64, f64), d: (f64, f64)) -> bool {
    let (o1, o2, o3, o4) = (orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b));
    (o1 > 0.0) != (o2 > 0.0) && (o3 > 0.0) != (o4 > 0.0)
}

/// The 16×16 macroblocks of a `width × height` picture that any mask polygon touches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MacroblockMask {
    /// Picture width.
    pub width: usize,
    /// Picture height.
    pub height: usize,
    /// Macroblocks across.
    pub cols: usize,
    /// Macroblocks down.
    pub rows: usize,
    masked: Vec<bool>,
}

impl MacroblockMask {
    /// Every macroblock a polygon touches, so the black area ends on macroblock edges and no
    /// masked pixel survives at a polygon's edge.
    pub fn new(polygons: &[Polygon], width: usize, height: usize) -> MacroblockMask {
        let (cols, rows) = (width.div_ceil(16), height.div_ceil(16));
        let mut masked = vec![false; cols * rows];
        for r in 0..rows {
            for c in 0..cols {
                let x0 = (c * 16) as f64 / width as f64;
                let x1 = (((c + 1) * 16).min(width)) as f64 / width as f64;
                let y0 = (r * 16) as f64 / height as f64;
                let y1 = (((r + 1) * 16).min(height)) as f64 / height as f64;
                // A polygon that only meets the block on its border (a mask drawn on macroblock
                // lines) does not take the neighbouring block.
                let e = 1e-9;
                masked[r * cols + c] =
                    polygons.iter().any(|p| p.touches_rect(x0 + e, y0 + e, x1 - e, y1 - e));
            }
        }
        MacroblockMask { width, height, cols, rows, masked }
    }

    /// Whether macroblock (`col`, `row`) is masked.
    pub fn is_masked(&self, col: usize, row: usize) -> bool {
        self.masked.get(row * self.cols + col).copied().unwrap_or(false)
    }

    /// Whether pixel (`x`, `y`) is in a masked macroblock.
    pub fn covers(&self, x: usize, y: usize) -> bool {
        self.is_masked(x / 16, y / 16)
    }

    /// How many macroblocks are masked.
    pub fn count(&self) -> usize {
        self.masked.iter().filter(|m| **m).count()
    }

    /// Fills the masked macroblocks of a contiguous I420 picture: luma `y`, both chroma planes
    /// `c`.
    pub fn fill_i420(&self, buf: &mut [u8], y: u8, c: u8) {
        let (w, h) = (self.width, self.height);
        let (luma, chroma) = buf.split_at_mut(w * h);
        let (u, v) = chroma.split_at_mut(w * h / 4);
        for r in 0..self.rows {
            for col in 0..self.cols {
                if !self.masked[r * self.cols + col] {
                    continue;
                }
                let (x0, x1) = (col * 16, ((col + 1) * 16).min(w));
                for row in r * 16..((r + 1) * 16).min(h) {
                    luma[row * w + x0..row * w + x1].fill(y);
                }
                let (cx0, cx1) = (x0 / 2, x1 / 2);
                for row in r * 8..((r + 1) * 8).min(h / 2) {
                    u[row * (w / 2) + cx0..row * (w / 2) + cx1].fill(c);
                    v[row * (w / 2) + cx0..row * (w / 2) + cx1].fill(c);
                }
            }
        }
    }
}

/// The share of the picture, in per mille, that is public space and not masked: the part of
/// `public` outside every mask (KAW-2.1.3: at least 2/3, or 1/2 with a reason). Computed on a
/// 400 × 300 grid of sample points (error under 0.5 %, far below the rule's margins).
pub fn public_share_permille(public: &Polygon, masks: &[Polygon]) -> i64 {
    let (nx, ny) = (400, 300);
    let mut n = 0i64;
    for j in 0..ny {
        for i in 0..nx {
            let (x, y) = ((i as f64 + 0.5) / nx as f64, (j as f64 + 0.5) / ny as f64);
            if public.contains(x, y) && !masks.iter().any(|m| m.contains(x, y)) {
                n += 1;
            }
        }
    }
    (n * 1000 + (nx * ny) / 2) / (nx * ny)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_macroblocks() {
        let whole = Polygon::from_pairs(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]);
        let top_third =
            Polygon::from_pairs(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0 / 3.0), (0.0, 1.0 / 3.0)]);
        assert_eq!(public_share_permille(&whole, &[]), 1000);
        assert_eq!(public_share_permille(&whole, std::slice::from_ref(&top_third)), 667);
        let lower_half = Polygon::from_pairs(&[(0.0, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0)]);
        assert_eq!(public_share_permille(&lower_half, &[]), 500);
        // A tiny polygon inside one macroblock masks exactly that macroblock.
        let dot = Polygon::from_pairs(&[(0.51, 0.51), (0.52, 0.51), (0.52, 0.52)]);
        let m = MacroblockMask::new(&[dot], 320, 240);
        assert_eq!(m.count(), 1);
        assert!(m.covers(164, 123));
        // A polygon edge crossing a block without a vertex in it still masks it.
        let thin = Polygon::from_pairs(&[(0.0, 0.49), (1.0, 0.49), (1.0, 0.495)]);
        let m = MacroblockMask::new(&[thin], 320, 240);
        assert!(m.count() >= 19, "{}", m.count());
        assert!(Polygon::from_pairs(&[(0.0, 0.0), (1.2, 0.0), (0.0, 1.0)]).validate().is_err());
        // A rectangle on macroblock lines masks exactly its blocks.
        let r = Polygon::from_pairs(&[(0.1, 0.2), (0.3, 0.2), (0.3, 0.4), (0.1, 0.4)]);
        let m = MacroblockMask::new(&[r], 320, 240); // x 32..96, y 48..96: 4 × 3 blocks
        assert_eq!(m.count(), 12);
    }
}
