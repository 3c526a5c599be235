//! Message catalogues: `messages/ja.toml` (default) and `messages/en.toml`, flat `key = "text"`.

use std::sync::OnceLock;

pub use messages::Lang;

type Catalogue = messages::Catalogue;

fn parse(text: &str) -> Catalogue {
    messages::parse_catalogue(text)
}

/// The catalogue of `lang`.
pub fn catalogue(lang: Lang) -> &'static Catalogue {
    static JA: OnceLock<Catalogue> = OnceLock::new();
    static EN: OnceLock<Catalogue> = OnceLock::new();
    match lang {
        Lang::Ja => JA.get_or_init(|| parse(include_str!("../messages/ja.toml"))),
        Lang::En => EN.get_or_init(|| parse(include_str!("../messages/en.toml"))),
    }
}

/// The text of `key` (the key itself if missing, which a test forbids).
pub fn t(lang: Lang, key: &str) -> String {
    catalogue(lang).get(key).cloned().unwrap_or_else(|| key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogues_have_the_same_keys_and_no_empty_text() {
        let ja = catalogue(Lang::Ja);
        let en = catalogue(Lang::En);
        assert!(ja.len() > 50, "ja.toml parsed");
        let mut a: Vec<_> = ja.keys().collect();
        let mut b: Vec<_> = en.keys().collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
        assert!(ja.values().chain(en.values()).all(|v| !v.trim().is_empty()));
    }

    #[test]
    fn every_key_the_pages_use_is_in_the_catalogue() {
        let src = concat!(
            include_str!("pages/mod.rs"),
            include_str!("pages/home.rs"),
            include_str!("pages/footage.rs"),
            include_str!("pages/registry.rs"),
            include_str!("pages/account.rs"),
            include_str!("pages/emergency.rs"),
            include_str!("pages/admin.rs"),
            include_str!("pages/oversight.rs"),
            include_str!("pages/transparency.rs"),
            include_str!("pages/duties.rs")
        );
        let mut n = 0;
        for part in src.split("t(l, \"").skip(1) {
            let key = &part[..part.find('"').unwrap_or(0)];
            assert!(catalogue(Lang::Ja).contains_key(key), "missing key {key}");
            n += 1;
        }
        assert!(n > 40, "{n} uses found");
    }

    /// Every action the system writes to the audit log has a name in both catalogues (issue 19,
    /// item 4: the audit page says 映像の抽出, not `footage.extract`). The actions are the API
    /// registry's and every literal the sources hand to an audit event (`.event("…"`,
    /// `Event::new(…, "…"`, `let action = if … { "…" } else { "…" }`, `…_ACTION: &str = "…"`).
    #[test]
    fn every_audited_action_has_a_name() {
        let mut actions: std::collections::BTreeSet<String> =
            server::api::endpoints().iter().map(|e| e.action.to_owned()).collect();
        let patterns = [
            r#"\.event\(\s*"([a-z_.]+)""#,
            r#"Event::new\(\s*[^,]+,\s*"([a-z_.]+)""#,
            r#"(?:action|ACTION)[^=\n]*= *"([a-z_]+\.[a-z_.]+)""#,
            r#"\{ "([a-z]+\.[a-z_]+)" \} else \{ "([a-z]+\.[a-z_]+)" \}"#,
        ]
        .map(|p| regex::Regex::new(p).unwrap());
        let crates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = 0;
        let mut stack = vec![crates];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if path.is_dir() && name != "tests" && name != "target" {
                    stack.push(path);
                } else if name.ends_with(".rs") && path.components().any(|c| c.as_os_str() == "src")
                {
                    let src = std::fs::read_to_string(&path).unwrap();
                    files += 1;
                    for re in &patterns {
                        for c in re.captures_iter(&src) {
                            actions
                                .extend(c.iter().skip(1).flatten().map(|m| m.as_str().to_owned()));
                        }
                    }
                }
            }
        }
        assert!(files > 100, "{files} source files read");
        assert!(actions.len() > 120, "{} actions found", actions.len());
        for lang in [Lang::Ja, Lang::En] {
            let missing: Vec<&String> = actions
                .iter()
                .filter(|a| !catalogue(lang).contains_key(&format!("act.{a}")))
                .collect();
            assert!(missing.is_empty(), "{lang:?}: actions without a name: {missing:?}");
        }
    }

    /// The API's messages name request states too (`state.approved` in the `messages` crate's
    /// problem catalogue): both say the same, so a refusal and the page never disagree.
    #[test]
    fn state_names_agree_with_the_api_messages() {
        for lang in [Lang::Ja, Lang::En] {
            for s in policy::workflow::RequestState::ALL {
                let id = s.as_str();
                // English mid-sentence in the API, as a label on the page: case aside.
                let low = |v: Option<&String>| v.map(|v| v.to_lowercase());
                assert_eq!(
                    low(messages::problems(lang).get(&format!("state.{id}"))),
                    low(catalogue(lang).get(&format!("state_{id}"))),
                    "{id} in {lang:?}"
                );
            }
        }
    }
}
