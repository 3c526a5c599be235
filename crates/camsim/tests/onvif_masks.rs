//! Each simulated camera is an ONVIF device that masks at the source (issue 24, item 2): masks
//! set over Media2 with a WS-Security digest are read back and drawn into the picture; the
//! fault modes refuse the calls or accept the masks and draw nothing.

#![allow(clippy::unwrap_used)] // tests unwrap: a panic is the failure report

use std::sync::Arc;
use std::time::Duration;

fn entrance() -> masking::Polygon {
    masking::Polygon::from_pairs(&[(0.5, 0.25), (0.9, 0.25), (0.9, 0.75), (0.5, 0.75)])
}

async fn device(faults: camsim::Faults) -> (Arc<camsim::CamSim>, String) {
    let clip = camsim::synthesize(320, 240, 25, 300_000, 2).unwrap();
    let sim = camsim::CamSim::with_auth(clip, 2, faults, Some("admin:cam-pass".into()));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(sim.clone().serve_onvif(l));
    (sim, format!("http://127.0.0.1:{port}/onvif/cam1/media2_service"))
}

fn client(url: &str, password: &str) -> onvif::Client {
    onvif::Client::new(url, Some(("admin".into(), password.into())))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn masks_set_over_onvif_are_read_back_and_drawn() {
    let (sim, url) = device(camsim::Faults::default()).await;
    // A wrong password is refused, and nothing is set.
    let e = client(&url, "wrong").set_masks(&[entrance()]).await.unwrap_err();
    assert!(
        matches!(&e, onvif::Error::Fault { code, .. } if code.ends_with("NotAuthorized")),
        "{e}"
    );
    assert!(sim.source_masks("cam1").is_empty());

    let c = client(&url, "cam-pass");
    let config = c.set_masks(&[entrance()]).await.unwrap();
    assert_eq!(config, camsim::onvif_device::VIDEO_SOURCE);
    let kept = sim.source_masks("cam1");
    assert_eq!(kept.len(), 1);
    assert!(onvif::media2::same_outline(&kept[0], &entrance(), 1e-6));
    assert!(sim.source_masks("cam2").is_empty(), "one device per mount");
    // Drawn into the stream from a keyframe once re-encoded.
    let t = std::time::Instant::now();
    while sim.masks_drawn("cam1") != 1 && t.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(sim.masks_drawn("cam1"), 1);
    assert_eq!(sim.masks_drawn("cam2"), 0);
    // Setting again replaces, never adds; an empty set takes them all away.
    c.set_masks(&[entrance()]).await.unwrap();
    assert_eq!(c.masks(&config).await.unwrap().len(), 1);
    c.set_masks(&[]).await.unwrap();
    assert!(sim.source_masks("cam1").is_empty());
    // More masks than the camera takes: refused before anything is changed.
    let many = vec![entrance(); camsim::onvif_device::mask_options().max_masks + 1];
    let e = c.set_masks(&many).await.unwrap_err();
    assert!(matches!(e, onvif::Error::Cannot(_)), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_modes_refuse_or_ignore_the_masks() {
    let (sim, url) = device(camsim::Faults { masks_unsupported: true, ..Default::default() }).await;
    let e = client(&url, "cam-pass").set_masks(&[entrance()]).await.unwrap_err();
    assert!(e.is_not_supported(), "{e}");
    assert!(sim.source_masks("cam1").is_empty());

    let (sim, url) = device(camsim::Faults { masks_ignored: true, ..Default::default() }).await;
    client(&url, "cam-pass").set_masks(&[entrance()]).await.unwrap();
    assert_eq!(sim.source_masks("cam1").len(), 1, "the camera says it masks");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(sim.masks_drawn("cam1"), 0, "and draws nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// A camera registered by its device service address (the one ONVIF discovery gives): the
// client asks it for the Media2 service, then sets the masks there; a device without Media2
// masks is a camera that cannot.
async fn the_media2_service_is_found_through_the_device_service() {
    let (sim, url) = device(camsim::Faults::default()).await;
    let device_url = url.replace("media2_service", "device_service");
    let c = client(&device_url, "cam-pass");
    assert_eq!(c.media2_url().await.unwrap(), url);
    c.set_masks(&[entrance()]).await.unwrap();
    assert_eq!(sim.source_masks("cam1").len(), 1);
    assert!(sim.source_masks("cam2").is_empty());
    // Credentials are still checked where the masks are set.
    let e = client(&device_url, "wrong").set_masks(&[entrance()]).await.unwrap_err();
    assert!(
        matches!(&e, onvif::Error::Fault { code, .. } if code.ends_with("NotAuthorized")),
        "{e}"
    );

    let (sim, url) = device(camsim::Faults { masks_unsupported: true, ..Default::default() }).await;
    let device_url = url.replace("media2_service", "device_service");
    let e = client(&device_url, "cam-pass").set_masks(&[entrance()]).await.unwrap_err();
    assert!(e.is_not_supported() && e.to_string().contains("no Media2"), "{e}");
    assert!(sim.source_masks("cam1").is_empty());
}

/// The masked clip is black inside the mask on every keyframe, as the recorder's check reads
/// it; the plain clip is not.
#[test]
fn the_masked_clip_is_black_inside_the_mask() {
    let clip = camsim::synthesize(320, 240, 25, 300_000, 4).unwrap();
    let masked = camsim::clip::masked(&clip, &[entrance()]).unwrap();
    assert_eq!(masked.frames.len(), clip.frames.len());
    let keys = |c: &camsim::Clip| c.frames.iter().map(|f| f.keyframe).collect::<Vec<_>>();
    assert_eq!(keys(&masked), keys(&clip), "keyframes where the clip has them");
    let mut check = masking::SourceCheck::new().unwrap();
    for (c, want) in [(&clip, false), (&masked, true)] {
        let avcc = c.avc_decoder_config().unwrap();
        for f in c.frames.iter().filter(|f| f.keyframe) {
            let mut data = Vec::new();
            for n in &f.nals {
                data.extend_from_slice(&(n.len() as u32).to_be_bytes());
                data.extend_from_slice(n);
            }
            let v = check.check(&data, &avcc, &[entrance()]).unwrap().unwrap();
            assert!(v.checked >= 20, "{v:?}");
            assert_eq!(v.masked(), want, "{v:?}");
        }
    }
}
