//! The 16×16 macroblocks a picture's mask polygons touch.

use geometry::Polygon;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macroblocks() {
        // A tiny polygon inside one macroblock masks exactly that macroblock.
        let dot = Polygon::from_pairs(&[(0.51, 0.51), (0.52, 0.51), (0.52, 0.52)]);
        let m = MacroblockMask::new(&[dot], 320, 240);
        assert_eq!(m.count(), 1);
        assert!(m.covers(164, 123));
        // A polygon edge crossing a block without a vertex in it still masks it.
        let thin = Polygon::from_pairs(&[(0.0, 0.49), (1.0, 0.49), (1.0, 0.495)]);
        let m = MacroblockMask::new(&[thin], 320, 240);
        assert!(m.count() >= 19, "{}", m.count());
        // A rectangle on macroblock lines masks exactly its blocks.
        let r = Polygon::from_pairs(&[(0.1, 0.2), (0.3, 0.2), (0.3, 0.4), (0.1, 0.4)]);
        let m = MacroblockMask::new(&[r], 320, 240); // x 32..96, y 48..96: 4 × 3 blocks
        assert_eq!(m.count(), 12);
    }
}
