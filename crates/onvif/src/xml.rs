//! A small XML element tree read with `quick-xml`: names are local names (namespace prefixes
//! dropped, as the few elements read here are unambiguous in their service), text is unescaped.

use quick_xml::Reader;
use quick_xml::events::Event;

/// One element.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Element {
    /// Local name (`Mask` for `tr2:Mask`).
    pub name: String,
    /// Attributes by local name, in document order.
    pub attrs: Vec<(String, String)>,
    /// Child elements.
    pub children: Vec<Element>,
    /// The text directly inside, unescaped and trimmed.
    pub text: String,
}

impl Element {
    /// The first child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child named `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The first element named `name` at any depth (this one included).
    pub fn find(&self, name: &str) -> Option<&Element> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(name))
    }

    /// An attribute's value.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The text of the first child named `name`.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

fn local(qname: &[u8]) -> String {
    let name = qname.rsplit(|b| *b == b':').next().unwrap_or(qname);
    String::from_utf8_lossy(name).into_owned()
}

fn open(e: &quick_xml::events::BytesStart<'_>) -> Result<Element, String> {
    let mut el = Element { name: local(e.name().as_ref()), ..Element::default() };
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        let key = a.key.as_ref();
        if key == b"xmlns" || key.starts_with(b"xmlns:") {
            continue;
        }
        let value = a.unescape_value().map_err(|e| e.to_string())?;
        el.attrs.push((local(key), value.into_owned()));
    }
    Ok(el)
}

/// Parses a document into its root element.
pub fn parse(doc: &str) -> Result<Element, String> {
    let mut reader = Reader::from_str(doc);
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    loop {
        let ev = reader.read_event().map_err(|e| format!("at {}: {e}", reader.error_position()))?;
        match ev {
            Event::Start(e) => stack.push(open(&e)?),
            Event::Empty(e) => {
                let el = open(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let Some(mut el) = stack.pop() else { return Err("unbalanced end tag".into()) };
                el.text = el.text.trim().to_owned();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&t.decode().map_err(|e| e.to_string())?);
                }
            }
            Event::CData(t) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&String::from_utf8_lossy(&t.into_inner()));
                }
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => c,
                    None => match r.decode().map_err(|e| e.to_string())?.as_ref() {
                        "lt" => '<',
                        "gt" => '>',
                        "amp" => '&',
                        "quot" => '"',
                        "apos" => '\'',
                        other => return Err(format!("unknown entity &{other};")),
                    },
                };
                if let Some(el) = stack.last_mut() {
                    el.text.push(c);
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err("the document ends inside an element".into());
    }
    root.ok_or_else(|| "no element".into())
}

/// Escapes text for an element's content or an attribute value.
pub fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_attributes_and_text() {
        let doc = r#"<?xml version="1.0"?><s:Envelope xmlns:s="x" xmlns:tt="y"><s:Body>
            <tt:Point x="-0.5" y="1"/><a>one &amp; two &#x41;</a></s:Body></s:Envelope>"#;
        let root = parse(doc).expect("parses");
        assert_eq!(root.name, "Envelope");
        let body = root.child("Body").expect("body");
        assert_eq!(body.child("Point").and_then(|p| p.attr("x")), Some("-0.5"));
        assert_eq!(body.child_text("a"), Some("one & two A"));
        assert!(root.attr("s").is_none(), "namespace declarations are not attributes");
        assert!(parse("<a><b></a>").is_err());
        assert!(parse("<a>").is_err());
    }
}
