//! The recorder crate's integration tests, built as one binary: each file beside this one is a
//! module (`cargo test -p recorder --test integration <file>::` runs one file's tests). A binary per
//! file linked the whole crate and its dependencies once per file — gigabytes of a CI machine's
//! disk for no gain (see docs/testing.md).

mod camera_urls;
mod clock;
mod common;
mod data_dir;
mod disk_full;
mod export;
mod faults;
mod mask;
mod playback;
mod record;
mod retention;
mod source_masks;
