//! The governance server's dependency boundary (issue 23, item 5): it asks recorders through
//! the `node::Node` seam only, so it builds without the recorder, its RTSP client or any codec,
//! and a recorder on another machine is one more implementation of the same trait.

use std::collections::{BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

/// Crates the central server must never link, directly or through a workspace crate.
const FORBIDDEN: [&str; 5] = ["recorder", "masking", "retina", "openh264", "ffmpeg-next"];

fn manifest(dir: &Path) -> toml::Table {
    let text = std::fs::read_to_string(dir.join("Cargo.toml")).expect("a crate manifest");
    text.parse().expect("a manifest that parses")
}

/// The normal (not dev, not build) dependencies of the crate in `dir`.
fn dependencies(dir: &Path) -> Vec<String> {
    manifest(dir)
        .get("dependencies")
        .and_then(|d| d.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn the_server_links_no_recorder_and_no_codec() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("crates/").to_path_buf();
    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<(String, PathBuf, Vec<String>)> =
        VecDeque::from([("server".to_owned(), crates.join("server"), vec!["server".to_owned()])]);
    let mut checked = 0;
    while let Some((_, dir, path)) = queue.pop_front() {
        checked += 1;
        for dep in dependencies(&dir) {
            assert!(
                !FORBIDDEN.contains(&dep.as_str()),
                "the server links {dep} through {}",
                path.join(" → ")
            );
            let local = crates.join(&dep);
            if local.join("Cargo.toml").exists() && seen.insert(dep.clone()) {
                let mut via = path.clone();
                via.push(dep.clone());
                queue.push_back((dep, local, via));
            }
        }
    }
    // The walk reached the workspace crates the server uses, the seam among them.
    assert!(seen.contains("node") && seen.contains("store") && seen.contains("policy"), "{seen:?}");
    assert!(checked > 5, "{checked}");
}

#[test]
fn the_recorder_answers_through_the_seam() {
    // The recorder's in-process node is the one implementation the server attaches; this fails
    // to compile if it stops implementing the trait.
    fn is_node<T: node::Node>() {}
    is_node::<recorder::LocalNode>();
    assert!(
        dependencies(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../recorder"))
            .contains(&"node".to_owned())
    );
}
