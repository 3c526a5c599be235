//! Media2 privacy masks (ONVIF Media2 Service Specification §5.11): the messages of both sides.

use crate::xml::{Element, escape};
use geometry::{Point, Polygon};

/// Media2 service namespace.
pub const TR2: &str = "http://www.onvif.org/ver20/media/wsdl";
/// ONVIF schema namespace.
pub const TT: &str = "http://www.onvif.org/ver10/schema";
/// The namespace declarations the Media2 bodies below use.
pub const NAMESPACES: &str = "xmlns:tr2=\"http://www.onvif.org/ver20/media/wsdl\" xmlns:tt=\"http://www.onvif.org/ver10/schema\"";
/// The YCbCr colour space of a mask's colour.
pub const YCBCR: &str = "http://www.onvif.org/ver10/colorspace/YCbCr";

/// One privacy mask on a video source configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Mask {
    /// The device's token for it (empty when creating).
    pub token: String,
    /// The video source configuration it masks.
    pub configuration: String,
    /// Its outline in mimamori's normalised coordinates.
    pub polygon: Polygon,
    /// `Color`, `Pixelated`, `Blurred`.
    pub kind: String,
    /// Whether the device applies it.
    pub enabled: bool,
}

/// What masks a video source accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskOptions {
    /// Masks at most.
    pub max_masks: usize,
    /// Points per mask at most.
    pub max_points: usize,
    /// Mask types (`Color`…).
    pub types: Vec<String>,
    /// Only rectangles.
    pub rectangle_only: bool,
}

impl MaskOptions {
    /// Why `polygons` cannot be set as solid masks with these options, if they cannot.
    pub fn refuses(&self, polygons: &[Polygon]) -> Option<String> {
        if !self.types.iter().any(|t| t == "Color") {
            return Some(format!("no solid-colour masks (types: {})", self.types.join(", ")));
        }
        if polygons.len() > self.max_masks {
            return Some(format!("{} masks, the camera takes {}", polygons.len(), self.max_masks));
        }
        if let Some(p) = polygons.iter().find(|p| p.0.len() > self.max_points) {
            return Some(format!(
                "a mask of {} points, the camera takes {}",
                p.0.len(),
                self.max_points
            ));
        }
        if self.rectangle_only && polygons.iter().any(|p| !is_rectangle(p)) {
            return Some("the camera takes rectangles only".into());
        }
        None
    }
}

fn is_rectangle(p: &Polygon) -> bool {
    let xs: std::collections::BTreeSet<u64> = p.0.iter().map(|q| q.x.to_bits()).collect();
    let ys: std::collections::BTreeSet<u64> = p.0.iter().map(|q| q.y.to_bits()).collect();
    p.0.len() == 4 && xs.len() == 2 && ys.len() == 2
}

/// A point of mimamori's ([0, 1]², y down) in ONVIF's ([-1, 1]², y up).
pub fn to_onvif(p: Point) -> (f64, f64) {
    (p.x * 2.0 - 1.0, 1.0 - p.y * 2.0)
}

/// A point of ONVIF's in mimamori's.
pub fn from_onvif(x: f64, y: f64) -> Point {
    Point { x: (x + 1.0) / 2.0, y: (1.0 - y) / 2.0 }
}

/// Whether two outlines are the same within `tolerance` per coordinate (a device may round).
pub fn same_outline(a: &Polygon, b: &Polygon, tolerance: f64) -> bool {
    a.0.len() == b.0.len()
        && a.0
            .iter()
            .zip(&b.0)
            .all(|(p, q)| (p.x - q.x).abs() <= tolerance && (p.y - q.y).abs() <= tolerance)
}

fn mask_xml(tag: &str, m: &Mask) -> String {
    let points: String = m
        .polygon
        .0
        .iter()
        .map(|p| {
            let (x, y) = to_onvif(*p);
            format!("<tt:Point x=\"{x:.6}\" y=\"{y:.6}\"/>")
        })
        .collect();
    let token =
        if m.token.is_empty() { String::new() } else { format!(" token=\"{}\"", escape(&m.token)) };
    format!(
        "<tr2:{tag}{token}><tr2:ConfigurationToken>{}</tr2:ConfigurationToken><tr2:Polygon>{points}</tr2:Polygon>\
         <tr2:Type>{}</tr2:Type><tr2:Color X=\"16\" Y=\"128\" Z=\"128\" Colorspace=\"{YCBCR}\"/><tr2:Enabled>{}</tr2:Enabled></tr2:{tag}>",
        escape(&m.configuration),
        escape(&m.kind),
        m.enabled
    )
}

fn number(el: &Element, name: &str) -> Result<f64, String> {
    el.attr(name)
        .ok_or_else(|| format!("a point without {name}"))?
        .parse()
        .map_err(|_| format!("a point's {name} is not a number"))
}

/// Reads a `Mask` (or `Masks`) element.
pub fn read_mask(el: &Element) -> Result<Mask, String> {
    let points = el
        .child("Polygon")
        .ok_or("a mask without a polygon")?
        .all("Point")
        .map(|p| Ok(from_onvif(number(p, "x")?, number(p, "y")?)))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Mask {
        token: el.attr("token").unwrap_or("").to_owned(),
        configuration: el.child_text("ConfigurationToken").unwrap_or("").to_owned(),
        polygon: Polygon(points),
        kind: el.child_text("Type").unwrap_or("Color").to_owned(),
        enabled: el.child_text("Enabled").is_none_or(|t| t == "true" || t == "1"),
    })
}

/// Requests (client side) and their answers (device side).
pub mod request {
    use super::*;

    /// `GetVideoSourceConfigurations`.
    pub fn get_video_source_configurations() -> String {
        "<tr2:GetVideoSourceConfigurations/>".into()
    }

    /// `GetMaskOptions` for a configuration.
    pub fn get_mask_options(configuration: &str) -> String {
        format!(
            "<tr2:GetMaskOptions><tr2:ConfigurationToken>{}</tr2:ConfigurationToken></tr2:GetMaskOptions>",
            escape(configuration)
        )
    }

    /// `GetMasks` of a configuration.
    pub fn get_masks(configuration: &str) -> String {
        format!(
            "<tr2:GetMasks><tr2:ConfigurationToken>{}</tr2:ConfigurationToken></tr2:GetMasks>",
            escape(configuration)
        )
    }

    /// `CreateMask`.
    pub fn create_mask(m: &Mask) -> String {
        format!("<tr2:CreateMask>{}</tr2:CreateMask>", mask_xml("Mask", m))
    }

    /// `DeleteMask`.
    pub fn delete_mask(token: &str) -> String {
        format!("<tr2:DeleteMask><tr2:Token>{}</tr2:Token></tr2:DeleteMask>", escape(token))
    }
}

/// Answers (device side).
pub mod response {
    use super::*;

    /// `GetVideoSourceConfigurationsResponse` naming `tokens`.
    pub fn video_source_configurations(tokens: &[&str], width: u32, height: u32) -> String {
        let configs: String = tokens
            .iter()
            .map(|t| {
                format!(
                    "<tr2:Configurations token=\"{}\"><tt:Name>{}</tt:Name><tt:UseCount>1</tt:UseCount>\
                     <tt:SourceToken>{}</tt:SourceToken><tt:Bounds x=\"0\" y=\"0\" width=\"{width}\" height=\"{height}\"/></tr2:Configurations>",
                    escape(t),
                    escape(t),
                    escape(t)
                )
            })
            .collect();
        format!(
            "<tr2:GetVideoSourceConfigurationsResponse>{configs}</tr2:GetVideoSourceConfigurationsResponse>"
        )
    }

    /// `GetMaskOptionsResponse`.
    pub fn mask_options(o: &MaskOptions) -> String {
        let types: String =
            o.types.iter().map(|t| format!("<tr2:Types>{}</tr2:Types>", escape(t))).collect();
        format!(
            "<tr2:GetMaskOptionsResponse><tr2:Options RectangleOnly=\"{}\" SingleColorOnly=\"true\"><tr2:MaxMasks>{}</tr2:MaxMasks>\
             <tr2:MaxPoints>{}</tr2:MaxPoints>{types}</tr2:Options></tr2:GetMaskOptionsResponse>",
            o.rectangle_only, o.max_masks, o.max_points
        )
    }

    /// `GetMasksResponse`.
    pub fn masks(masks: &[Mask]) -> String {
        let all: String = masks.iter().map(|m| mask_xml("Masks", m)).collect();
        format!("<tr2:GetMasksResponse>{all}</tr2:GetMasksResponse>")
    }

    /// `CreateMaskResponse`.
    pub fn created(token: &str) -> String {
        format!(
            "<tr2:CreateMaskResponse><tr2:Token>{}</tr2:Token></tr2:CreateMaskResponse>",
            escape(token)
        )
    }

    /// `DeleteMaskResponse`.
    pub fn deleted() -> String {
        "<tr2:DeleteMaskResponse/>".into()
    }
}

/// Reads the answers (client side).
pub mod read {
    use super::*;

    /// The configuration tokens of a `GetVideoSourceConfigurationsResponse`.
    pub fn video_source_configurations(body: &Element) -> Vec<String> {
        body.all("Configurations").filter_map(|c| c.attr("token")).map(str::to_owned).collect()
    }

    /// A `GetMaskOptionsResponse`.
    pub fn mask_options(body: &Element) -> Result<MaskOptions, String> {
        let o = body.child("Options").ok_or("no Options")?;
        let n = |name: &str| -> Result<usize, String> {
            o.child_text(name)
                .ok_or(format!("no {name}"))?
                .parse()
                .map_err(|_| format!("{name} is not a number"))
        };
        Ok(MaskOptions {
            max_masks: n("MaxMasks")?,
            max_points: n("MaxPoints")?,
            types: o.all("Types").map(|t| t.text.clone()).collect(),
            rectangle_only: o.attr("RectangleOnly") == Some("true"),
        })
    }

    /// A `GetMasksResponse`.
    pub fn masks(body: &Element) -> Result<Vec<Mask>, String> {
        body.all("Masks").map(read_mask).collect()
    }

    /// A `CreateMaskResponse`'s token.
    pub fn created(body: &Element) -> Result<String, String> {
        body.child_text("Token").map(str::to_owned).ok_or_else(|| "no Token".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{soap, xml};

    #[test]
    fn coordinates_turn_both_ways() {
        assert_eq!(to_onvif(Point { x: 0.0, y: 0.0 }), (-1.0, 1.0));
        assert_eq!(to_onvif(Point { x: 1.0, y: 1.0 }), (1.0, -1.0));
        let p = from_onvif(-0.5, 0.5);
        assert_eq!((p.x, p.y), (0.25, 0.25));
    }

    #[test]
    fn a_mask_goes_out_and_comes_back() {
        let m = Mask {
            token: String::new(),
            configuration: "vsc<1>".into(),
            polygon: Polygon::from_pairs(&[(0.1, 0.2), (0.5, 0.2), (0.5, 0.6), (0.1, 0.6)]),
            kind: "Color".into(),
            enabled: true,
        };
        let doc = soap::envelope(None, NAMESPACES, &request::create_mask(&m));
        let root = xml::parse(&doc).expect("xml");
        let body = soap::body(&root).expect("body");
        assert_eq!(body.name, "CreateMask");
        let back = read_mask(body.child("Mask").expect("mask")).expect("reads");
        assert_eq!(back.configuration, "vsc<1>");
        assert!(same_outline(&back.polygon, &m.polygon, 1e-6));
        let answer = soap::answer(&soap::envelope(None, NAMESPACES, &response::masks(&[back])))
            .expect("answer");
        assert_eq!(read::masks(&answer).expect("masks").len(), 1);
    }

    #[test]
    fn options_say_what_cannot_be_set() {
        let o = MaskOptions {
            max_masks: 2,
            max_points: 4,
            types: vec!["Color".into()],
            rectangle_only: true,
        };
        let rect = Polygon::from_pairs(&[(0.1, 0.1), (0.2, 0.1), (0.2, 0.2), (0.1, 0.2)]);
        let tri = Polygon::from_pairs(&[(0.1, 0.1), (0.2, 0.1), (0.2, 0.2)]);
        assert_eq!(o.refuses(std::slice::from_ref(&rect)), None);
        assert!(o.refuses(&[rect.clone(), rect.clone(), rect]).is_some());
        assert!(o.refuses(&[tri]).is_some());
        let answer = soap::answer(&soap::envelope(None, NAMESPACES, &response::mask_options(&o)))
            .expect("answer");
        assert_eq!(read::mask_options(&answer).expect("options"), o);
    }
}
