//! # geometry — privacy-mask polygons and the public share of a picture
//!
//! Masks are drawn in normalised picture coordinates, so one polygon fits every resolution a
//! camera may send. The governance server checks them (KAW-2.1.3: the public share), the
//! recorder seam carries them, and the masking codec turns them into macroblocks.

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

/// Why a polygon is not a mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PolygonError {
    /// Fewer than three points.
    #[error("a polygon needs at least 3 points, not {0}")]
    TooFewPoints(usize),
    /// A point outside the picture.
    #[error("a point is outside the picture (0..1)")]
    Outside,
}

impl Polygon {
    /// A polygon from `(x, y)` pairs.
    pub fn from_pairs(pairs: &[(f64, f64)]) -> Polygon {
        Polygon(pairs.iter().map(|&(x, y)| Point { x, y }).collect())
    }

    /// Checks it: three points or more, every coordinate within the picture.
    pub fn validate(&self) -> Result<(), PolygonError> {
        if self.0.len() < 3 {
            return Err(PolygonError::TooFewPoints(self.0.len()));
        }
        if self.0.iter().any(|p| !(0.0..=1.0).contains(&p.x) || !(0.0..=1.0).contains(&p.y)) {
            return Err(PolygonError::Outside);
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
    fn public_shares() {
        let whole = Polygon::from_pairs(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]);
        let top_third =
            Polygon::from_pairs(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0 / 3.0), (0.0, 1.0 / 3.0)]);
        assert_eq!(public_share_permille(&whole, &[]), 1000);
        assert_eq!(public_share_permille(&whole, std::slice::from_ref(&top_third)), 667);
        let lower_half = Polygon::from_pairs(&[(0.0, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0)]);
        assert_eq!(public_share_permille(&lower_half, &[]), 500);
        assert!(Polygon::from_pairs(&[(0.0, 0.0), (1.2, 0.0), (0.0, 1.0)]).validate().is_err());
        assert!(Polygon::from_pairs(&[(0.0, 0.0), (1.0, 0.0)]).validate().is_err());
        // A rectangle touches what overlaps it, and nothing beside it.
        let r = Polygon::from_pairs(&[(0.1, 0.2), (0.3, 0.2), (0.3, 0.4), (0.1, 0.4)]);
        assert!(r.touches_rect(0.25, 0.35, 0.5, 0.5));
        assert!(!r.touches_rect(0.31, 0.0, 0.5, 0.1));
    }
}
