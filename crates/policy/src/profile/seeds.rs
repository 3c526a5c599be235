//! The five seed cities' profiles, embedded in the binary.

use super::{Problem, Profile, load_str};

/// Profile ids of the seed cities, in the order `profile list` shows them.
pub const SEED_IDS: [&str; 5] = ["asahikawa", "kawaguchi", "kitakyushu", "saku", "nishiyodogawa"];

/// The TOML text of a seed profile.
pub fn seed_source(id: &str) -> Option<&'static str> {
    Some(match id {
        "asahikawa" => include_str!("../../profiles/asahikawa.toml"),
        "kawaguchi" => include_str!("../../profiles/kawaguchi.toml"),
        "kitakyushu" => include_str!("../../profiles/kitakyushu.toml"),
        "saku" => include_str!("../../profiles/saku.toml"),
        "nishiyodogawa" => include_str!("../../profiles/nishiyodogawa.toml"),
        _ => return None,
    })
}

/// A seed profile, parsed and checked. `None` for an unknown id.
///
/// The seed files are checked by this crate's tests, so an `Err` here means the binary was built
/// from a broken tree.
pub fn seed(id: &str) -> Option<Result<Profile, Vec<Problem>>> {
    seed_source(id).map(load_str)
}

/// All seed profiles that load cleanly, in [`SEED_IDS`] order.
pub fn seeds() -> impl Iterator<Item = Profile> {
    SEED_IDS.into_iter().filter_map(|id| seed(id)?.ok())
}
