//! User-facing texts shared by the API and the web application (issue 19, item 3).
//!
//! An error the API returns carries a stable message key and its parameters besides its text
//! (`server::error::Problem`); the text is rendered from this crate's problem catalogue
//! (`problems/ja.toml`, `problems/en.toml`: flat `key = "text with {param}"`) in the language the
//! client asked for, so the web application shows Japanese to a Japanese user and a machine
//! client can key on the code whatever the language. The same [`Lang`] is the web application's
//! UI language.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// A user-facing language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// 日本語 (the web application's default).
    Ja,
    /// English (the API's default for clients that name no language).
    En,
}

impl Lang {
    /// From a cookie or query value; anything else is Japanese.
    pub fn parse(s: Option<&str>) -> Lang {
        if s == Some("en") { Lang::En } else { Lang::Ja }
    }

    /// The language an `Accept-Language` header prefers among ours (by its quality values,
    /// `ja-JP` counting as `ja`), else `default`.
    pub fn negotiate(accept_language: Option<&str>, default: Lang) -> Lang {
        let Some(raw) = accept_language else { return default };
        accept_language::parse(raw)
            .iter()
            .find_map(|tag| {
                match tag.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase().as_str() {
                    "ja" => Some(Lang::Ja),
                    "en" => Some(Lang::En),
                    _ => None,
                }
            })
            .unwrap_or(default)
    }

    /// The code (`ja`, `en`), also the `Content-Language`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }

    /// The other language.
    pub fn other(self) -> Lang {
        match self {
            Lang::Ja => Lang::En,
            Lang::En => Lang::Ja,
        }
    }
}

/// The cookie in which the web application keeps the user's language.
pub const LANG_COOKIE: &str = "mimamori_lang";

/// The page for a URL nothing serves: in `lang`, styled by the web application's stylesheet,
/// leading home and to the public pages.
pub fn not_found_page(lang: Lang) -> String {
    let t = |k: &str| render(lang, k, &BTreeMap::new());
    format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/assets/style.css\"></head>\
         <body><main id=\"main\"><h1>{title}</h1><p class=\"problem\" role=\"alert\">{body}</p>\
         <p><a href=\"/\">{home}</a> · <a href=\"/public/cameras\">{cameras}</a> · \
         <a href=\"/contact\">{contact}</a> · <a href=\"/lang/{other}\">{switch}</a></p></main></body></html>",
        code = lang.code(),
        title = t("page_not_found"),
        body = t("page_not_found_body"),
        home = t("page_home"),
        cameras = t("page_cameras"),
        contact = t("page_contact"),
        other = lang.other().code(),
        switch = t("page_other_language"),
    )
}

/// A flat catalogue: key → text.
pub type Catalogue = HashMap<String, String>;

/// Parses a flat `key = "text"` TOML catalogue (empty if it does not parse, which the tests of
/// each catalogue forbid).
pub fn parse_catalogue(text: &str) -> Catalogue {
    toml::from_str::<Catalogue>(text).unwrap_or_default()
}

/// The problem catalogue of `lang`.
pub fn problems(lang: Lang) -> &'static Catalogue {
    static JA: OnceLock<Catalogue> = OnceLock::new();
    static EN: OnceLock<Catalogue> = OnceLock::new();
    match lang {
        Lang::Ja => JA.get_or_init(|| parse_catalogue(include_str!("../problems/ja.toml"))),
        Lang::En => EN.get_or_init(|| parse_catalogue(include_str!("../problems/en.toml"))),
    }
}

/// The key of a message that has no catalogue entry yet: its one parameter `text` is shown as
/// it is, in whatever language it was written (English).
pub const UNKEYED: &str = "text";

/// Renders message `key` in `lang`, replacing each `{name}` by its parameter. An unknown key
/// renders as its `text` parameter, else as the key itself (a test forbids unknown keys in the
/// code that builds problems).
///
/// A parameter named `state` holds a record's state id (`submitted`…) and is shown by its name
/// in the catalogue (`state.submitted`), when it has one.
pub fn render(lang: Lang, key: &str, params: &BTreeMap<String, String>) -> String {
    let cat = problems(lang);
    let Some(template) = cat.get(key) else {
        return params.get(UNKEYED).cloned().unwrap_or_else(|| key.to_owned());
    };
    match params.get("state").and_then(|s| cat.get(&format!("state.{s}"))) {
        Some(name) => {
            let mut named = params.clone();
            named.insert("state".into(), name.clone());
            fill(template, &named)
        }
        None => fill(template, params),
    }
}

/// `template` with each `{name}` replaced by `params[name]` (left as written when absent).
fn fill(template: &str, params: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if params.contains_key(&after[..close]) => {
                out.push_str(&params[&after[..close]]);
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The name of input field `field` (`body`, `range.to`, `documents[0].reference`…) in `lang`,
/// from the catalogue's `field.*` entries: the whole path when it has an entry, else its parts
/// named one by one with the items counted from one (「添付書類（1件目）の番号」); a part without
/// an entry keeps its own name.
pub fn field_label(lang: Lang, field: &str) -> String {
    let cat = problems(lang);
    if let Some(label) = cat.get(&format!("field.{field}")) {
        return label.clone();
    }
    let mut out = String::new();
    for part in field.split('.') {
        let (name, indices) = part.split_once('[').map_or((part, ""), |(n, i)| (n, i));
        if !out.is_empty() && !name.is_empty() {
            out.push_str(match lang {
                Lang::Ja => "の",
                Lang::En => ", ",
            });
        }
        out.push_str(cat.get(&format!("field.{name}")).map_or(name, String::as_str));
        for index in indices.split('[').filter_map(|i| i.trim_end_matches(']').parse::<u64>().ok())
        {
            let n = index + 1;
            match lang {
                Lang::Ja => out.push_str(&format!("（{n}件目）")),
                Lang::En => out.push_str(&format!(" (no. {n})")),
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
        kv.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn nested_fields_are_named_part_by_part() {
        assert_eq!(field_label(Lang::Ja, "body"), "内容");
        assert_eq!(
            field_label(Lang::Ja, "documents[0].reference"),
            "添付書類（1件目）の文書番号・日付"
        );
        assert_eq!(field_label(Lang::En, "documents[1].form"), "documents (no. 2), form");
        assert_eq!(field_label(Lang::Ja, "cameras[2]"), "カメラ（3件目）");
        assert_eq!(field_label(Lang::En, "unheard_of"), "unheard_of");
    }

    #[test]
    fn both_catalogues_have_the_same_keys_and_placeholders() {
        let (ja, en) = (problems(Lang::Ja), problems(Lang::En));
        assert!(ja.len() > 30, "ja parsed: {}", ja.len());
        let mut a: Vec<_> = ja.keys().collect();
        let mut b: Vec<_> = en.keys().collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        let holes = |s: &str| {
            let mut v: Vec<String> = s
                .split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned()))
                .collect();
            v.sort();
            v.dedup();
            v
        };
        for (k, text) in ja {
            assert!(!text.trim().is_empty(), "{k} empty");
            // The Japanese text may leave out a parameter the English one uses (a role's id
            // where its name is shown) but uses none the English text lacks — except where the
            // English is the refusal's own text (`{en}`), which carries no holes of its own.
            let en_holes = holes(&en[k]);
            for h in holes(text) {
                let own_text = en[k] == "{en}";
                assert!(
                    en_holes.contains(&h) || own_text || k.starts_with("no_role"),
                    "{k}: {{{h}}}"
                );
            }
        }
    }

    #[test]
    fn rendering_fills_parameters_and_keeps_unkeyed_text() {
        let p = params(&[("max", "200")]);
        assert_eq!(render(Lang::Ja, "too_long", &p), "200バイト以内で入力してください。");
        assert_eq!(render(Lang::En, "too_long", &p), "is too long (200 bytes at most)");
        let t = params(&[("text", "no footage in the range")]);
        assert_eq!(render(Lang::Ja, UNKEYED, &t), "no footage in the range");
        assert_eq!(render(Lang::Ja, "no_such_key_anywhere", &t), "no footage in the range");
        assert_eq!(fill("{a} and {b}", &params(&[("a", "x")])), "x and {b}");
    }

    #[test]
    fn accept_language_picks_by_quality_and_primary_tag() {
        assert_eq!(Lang::negotiate(Some("ja-JP,ja;q=0.9,en;q=0.8"), Lang::En), Lang::Ja);
        assert_eq!(Lang::negotiate(Some("en-US,ja;q=0.5"), Lang::Ja), Lang::En);
        assert_eq!(Lang::negotiate(Some("fr-FR, ja;q=0.3, en;q=0.2"), Lang::En), Lang::Ja);
        assert_eq!(Lang::negotiate(Some("fr"), Lang::En), Lang::En);
        assert_eq!(Lang::negotiate(None, Lang::Ja), Lang::Ja);
        assert_eq!(Lang::negotiate(Some(""), Lang::En), Lang::En);
    }

    #[test]
    fn the_page_for_an_unknown_url_speaks_the_users_language() {
        let ja = not_found_page(Lang::Ja);
        assert!(ja.contains("lang=\"ja\"") && ja.contains("ページが見つかりません"), "{ja}");
        assert!(not_found_page(Lang::En).contains("Page not found"));
    }
}
