//! Camera URLs come from the registry and the command line: a property test over arbitrary
//! input — the parser never panics, accepts only `rtsp://`, and whatever it accepts carries no
//! credentials in the address it keeps (they are kept apart and never logged; issue 16, M7/M9).

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use proptest::prelude::*;
use recorder::config::CameraConfig;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn accepted_urls_keep_no_credentials(
        user in "[a-zA-Z0-9%:@._~-]{0,12}",
        pass in "[a-zA-Z0-9%:@/?#._~-]{0,12}",
        host in "[a-z0-9.-]{0,20}|\\[::1\\]|127\\.0\\.0\\.1",
        rest in "\\PC{0,30}",
        scheme in "rtsp|rtsps|http|RTSP|file|",
    ) {
        let url = format!("{scheme}://{user}:{pass}@{host}{rest}");
        if let Ok(c) = CameraConfig::from_url("cam1", &url) {
            let kept = url::Url::parse(&c.url).unwrap();
            prop_assert_eq!(kept.scheme(), "rtsp");
            prop_assert!(kept.username().is_empty() && kept.password().is_none(), "{}", c.url);
        }
        // Anything at all: an error, never a panic.
        let _ = CameraConfig::from_url("cam1", &rest);
    }
}
