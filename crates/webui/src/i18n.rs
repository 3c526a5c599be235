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
