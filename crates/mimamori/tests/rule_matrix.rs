//! The rule matrix (issue 23, item 7): every rule ID of `docs/SPEC.md`, where the code cites it
//! and which tests cite it (`// rule: ID`, a test file's `//!` summary, or an assertion that an
//! answer names the rule). `docs/rules.md` is this matrix, written
//! by `UPDATE_RULES=1 cargo test -p mimamori --test rule_matrix`; the test fails when the file
//! is stale, so a rule that loses its last test — or a new SPEC rule without one — shows in the
//! diff of the change that does it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const PREFIXES: [&str; 7] = ["ASA", "KIT", "KAW", "SAK", "NIS", "ALL", "PROD"];

/// A character that may continue a rule ID after its prefix (`KAW-2.2.6イ`, `ASA-3.4b①`).
fn id_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || c == '.'
        || c == '-'
        || ('\u{30a0}'..='\u{30ff}').contains(&c)
        || ('\u{2460}'..='\u{2473}').contains(&c)
}

/// The rule IDs in `text`, in order of appearance.
fn rule_ids(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (k, &(i, _)) in chars.iter().enumerate() {
        let before = k.checked_sub(1).map(|j| chars[j].1);
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-') {
            continue;
        }
        let rest = &text[i..];
        let prefix = PREFIXES.iter().find(|p| {
            rest.starts_with(&format!("{p}-"))
                && rest[p.len() + 1..].chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        });
        let id = match prefix {
            Some(p) => {
                let tail: String =
                    rest[p.len() + 1..].chars().take_while(|c| id_char(*c)).collect();
                format!("{p}-{}", tail.trim_end_matches(['.', '-']))
            }
            None if rest.starts_with("LEDGER-1") => "LEDGER-1".to_owned(),
            None => continue,
        };
        out.push(id);
    }
    out
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs" || e == "toml") {
            out.push(p);
        }
    }
}

/// `crates/policy/src/workflow.rs` → `policy/workflow.rs`; tests keep their `tests/`.
fn short(p: &Path, root: &Path) -> String {
    let rel = p.strip_prefix(root.join("crates")).unwrap_or(p).to_string_lossy().into_owned();
    rel.replacen("/src/", "/", 1)
}

/// The matrix as Markdown.
/// Rule IDs in SPEC order, and for each the files citing it in code and in tests.
type Scan = (Vec<String>, BTreeMap<String, BTreeSet<String>>, BTreeMap<String, BTreeSet<String>>);

fn matrix() -> String {
    let (order, code, tests) = scan();
    let list = |m: &BTreeMap<String, BTreeSet<String>>, id: &str| {
        m.get(id).map_or("—".to_owned(), |s| {
            s.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
        })
    };
    let untested: Vec<&String> = order.iter().filter(|id| !tests.contains_key(*id)).collect();
    let mut out = String::from(
        "# Rule matrix\n\n\
         Every rule ID of [SPEC.md](SPEC.md) (vendored from the shared specification), the files\n\
         that cite it in code and profiles, and the tests that cite it (`// rule: ID`, a test file's
`//!` summary, or an assertion that an answer names the rule).\n\
         Written by `UPDATE_RULES=1 cargo test -p mimamori --test rule_matrix`; that test fails\n\
         when this file is stale. A rule no test cites is listed, with the reason, under \"Clauses\n\
         no test pins\" in [seed-readings.md](seed-readings.md) (checked by the same test file).\n\n",
    );
    out.push_str(&format!(
        "{} rules; {} cited by a test; {} not applicable as a test: {}.\n\n",
        order.len(),
        order.len() - untested.len(),
        untested.len(),
        untested.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
    ));
    out.push_str("| rule | cited in code and profiles | tests |\n|---|---|---|\n");
    for id in &order {
        out.push_str(&format!("| {id} | {} | {} |\n", list(&code, id), list(&tests, id)));
    }
    out
}

fn scan() -> Scan {
    let root = workspace();
    let spec = std::fs::read_to_string(root.join("docs/SPEC.md")).expect("docs/SPEC.md");
    let mut order: Vec<String> = Vec::new();
    for id in rule_ids(&spec) {
        if !order.contains(&id) {
            order.push(id);
        }
    }
    let mut code: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut tests: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut all = Vec::new();
    files(&root.join("crates"), &mut all);
    for f in &all {
        let Ok(text) = std::fs::read_to_string(f) else { continue };
        let name = short(f, &root);
        if name == "mimamori/tests/rule_matrix.rs" {
            continue; // this file's own examples cite nothing
        }
        let in_tests_dir = name.contains("/tests/");
        let mut in_test_module = false;
        let mut continued = false;
        for line in text.lines() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("#[cfg(test)]") {
                in_test_module = true;
            }
            let is_test = in_tests_dir || in_test_module;
            let comment = trimmed.starts_with("//");
            // A test cites a rule with `// rule: ID` (continued on the next comment line after a
            // trailing comma), in its file's `//!` summary, or by asserting that an answer
            // names it (`"ID"` in a string).
            let cites_as_test = is_test
                && (line.contains("rule:")
                    || (continued && comment)
                    || (in_tests_dir && trimmed.starts_with("//!"))
                    || line.contains('"'));
            continued = cites_as_test && comment && trimmed.trim_end().ends_with(',');
            for id in rule_ids(line) {
                let Some(known) = order.iter().find(|o| **o == id) else { continue };
                let by_comment = line.contains("rule:") || comment;
                let quoted =
                    line.contains(&format!("\"{id}\"")) || line.contains(&format!("\"{id} "));
                if cites_as_test && (by_comment || quoted) {
                    tests.entry(known.clone()).or_default().insert(name.clone());
                } else if !is_test {
                    code.entry(known.clone()).or_default().insert(name.clone());
                }
            }
        }
    }
    (order, code, tests)
}

#[test]
fn docs_rules_md_is_the_current_matrix() {
    let path = workspace().join("docs/rules.md");
    let now = matrix();
    if std::env::var_os("UPDATE_RULES").is_some() {
        std::fs::write(&path, &now).expect("writing docs/rules.md");
        return;
    }
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        written == now,
        "docs/rules.md is stale: run UPDATE_RULES=1 cargo test -p mimamori --test rule_matrix and \
         commit the result (it shows which rules gained or lost a test)"
    );
}

#[test]
fn rule_ids_are_read_as_written() {
    assert_eq!(
        rule_ids("see KAW-2.2.6イ and ASA-3.4b①, (KIT-5.6). PROD-RET-1; LEDGER-1 xKIT-1"),
        ["KAW-2.2.6イ", "ASA-3.4b①", "KIT-5.6", "PROD-RET-1", "LEDGER-1"]
    );
}

/// The rules listed in docs/seed-readings.md under "Clauses no test pins", each with its reason
/// (`- **ID** — reason`).
fn not_applicable() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(workspace().join("docs/seed-readings.md"))
        .expect("docs/seed-readings.md");
    let mut out = BTreeMap::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with("## ") {
            inside = line.starts_with("## Clauses no test pins");
            continue;
        }
        if let Some(rest) = line.strip_prefix("- **").filter(|_| inside)
            && let Some((id, reason)) = rest.split_once("**")
        {
            out.insert(id.to_owned(), reason.trim_start_matches([' ', '—']).trim().to_owned());
        }
    }
    out
}

// Issue 18 item 5: every SPEC rule ID is pinned by a test, or listed as not applicable as a
// test with its reason — and nothing is listed that a test pins.
#[test]
fn every_rule_is_pinned_by_a_test_or_listed_with_its_reason() {
    let (order, _, tests) = scan();
    let listed = not_applicable();
    let unpinned: Vec<&String> = order.iter().filter(|id| !tests.contains_key(*id)).collect();
    let unexplained: Vec<&&String> =
        unpinned.iter().filter(|id| !listed.contains_key(**id)).collect();
    assert!(
        unexplained.is_empty(),
        "rules no test pins and docs/seed-readings.md does not explain: {unexplained:?}"
    );
    let stale: Vec<&String> = listed.keys().filter(|id| tests.contains_key(*id)).collect();
    assert!(stale.is_empty(), "listed as not applicable but pinned by a test: {stale:?}");
    let unknown: Vec<&String> = listed.keys().filter(|id| !order.contains(id)).collect();
    assert!(unknown.is_empty(), "listed but not a SPEC rule: {unknown:?}");
    for (id, reason) in &listed {
        assert!(reason.len() > 20, "{id}: say why no test pins it");
    }
}
