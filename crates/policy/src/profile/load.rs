//! Parsing a profile file and locating problems in it by line and column.

use super::Profile;
use crate::rule::RuleId;
use serde::Serialize;
use std::fmt;
use std::ops::Range;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// Where in a profile file something is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl Location {
    /// `FILE:LINE:COL`, or `FILE` when there is no location: how a problem in a file is
    /// pointed at (profiles, the server's configuration).
    pub fn in_file(file: &str, location: Option<&Location>) -> String {
        match location {
            Some(l) => format!("{file}:{}:{}", l.line, l.column),
            None => file.to_owned(),
        }
    }
}

/// One thing wrong with a profile file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The key path (`roles[2].permissions[0]`), empty for the whole file.
    pub path: String,
    /// Where it is, when it can be located.
    pub location: Option<Location>,
    /// The rule it breaks.
    pub rule: RuleId,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl Problem {
    /// Renders as `FILE:LINE:COL: RULE: message (at PATH)`.
    pub fn render(&self, file: &str) -> String {
        let at = Location::in_file(file, self.location.as_ref());
        let path =
            if self.path.is_empty() { String::new() } else { format!(" (at {})", self.path) };
        format!("{at}: {}: {}{path}", self.rule, self.message)
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render("<profile>"))
    }
}

/// The rule every structural problem in a profile file breaks: a profile is a TOML document of
/// the profile schema whose references resolve (a product rule).
pub const STRUCTURE_RULE: &str = "PROD-PROFILE-1";

/// Parses and checks a profile. Returns the profile only when it has no problems.
pub fn load_str(text: &str) -> Result<Profile, Vec<Problem>> {
    let locator = Locator::new(text);
    let profile: Profile = match toml::from_str(text) {
        Ok(p) => p,
        Err(e) => {
            let location = e.span().map(|s| locator.position(s.start));
            return Err(vec![Problem {
                path: String::new(),
                location,
                rule: RuleId::new(STRUCTURE_RULE),
                message: e.message().trim().to_owned(),
            }]);
        }
    };
    let mut problems = super::check(&profile);
    for p in &mut problems {
        p.location = locator.locate(&p.path);
    }
    if problems.is_empty() { Ok(profile) } else { Err(problems) }
}

/// Maps key paths and byte offsets of a TOML text to lines and columns (profiles here; the
/// server's configuration file uses it too).
pub struct Locator<'a> {
    text: &'a str,
    root: Option<Spanned<DeTable<'a>>>,
}

impl<'a> Locator<'a> {
    /// Parses `text` once; paths are located in it afterwards.
    pub fn new(text: &'a str) -> Self {
        Self { text, root: DeTable::parse(text).ok() }
    }

    /// The line and column of a byte offset.
    pub fn position(&self, offset: usize) -> Location {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Location { line, column }
    }

    /// Locates a path like `roles[2].permissions[0]` or `retention.floor`. Falls back to the
    /// nearest existing ancestor.
    pub fn locate(&self, path: &str) -> Option<Location> {
        let root = self.root.as_ref()?;
        let mut span: Range<usize> = root.span();
        let mut table: Option<&DeTable<'_>> = Some(root.get_ref());
        let mut value: Option<&DeValue<'_>> = None;
        for seg in segments(path) {
            let next = match (seg, table, value) {
                (Seg::Key(k), Some(t), _) => t.get(k),
                (Seg::Key(k), None, Some(DeValue::Table(t))) => t.get(k),
                (Seg::Index(i), _, Some(DeValue::Array(a))) => a.get(i),
                _ => None,
            };
            let Some(next) = next else { break };
            span = next.span();
            table = None;
            value = Some(next.get_ref());
        }
        Some(self.position(span.start))
    }
}

#[derive(Debug, Clone, Copy)]
enum Seg<'p> {
    Key(&'p str),
    Index(usize),
}

fn segments(path: &str) -> Vec<Seg<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Seg::Key(key));
        }
        for idx in rest.split('[').filter(|s| !s.is_empty()) {
            if let Ok(i) = idx.trim_end_matches(']').parse() {
                out.push(Seg::Index(i));
            }
        }
    }
    out
}
