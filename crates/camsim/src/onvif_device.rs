//! The ONVIF Media2 mask calls a camera that masks at the source answers (issue 24, item 2):
//! `POST /onvif/{camN}/media2_service` — one device per mount, as each real camera is one
//! device — and the device service's `GetServices` at `/onvif/{camN}/device_service` that says
//! where Media2 is (answered without credentials, as ONVIF Core's PRE_AUTH class allows; a mount
//! with `masks_unsupported` offers no Media2). Masks set here are drawn into the mount's stream from its next keyframe (the clip
//! re-encoded with them, [`crate::clip::masked`]), unless the `masks_ignored` fault is on; with
//! `masks_unsupported` the calls answer `ter:ActionNotSupported`. With credentials every call
//! must carry a WS-Security UsernameToken digest of the password.

use crate::server::{CamSim, Packets};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use onvif::media2::{self, MaskOptions, NAMESPACES};
use onvif::{soap, xml};
use std::sync::Arc;

/// The one video source configuration of each simulated camera.
pub const VIDEO_SOURCE: &str = "VideoSource_1";

/// What the simulated cameras accept.
pub fn mask_options() -> MaskOptions {
    MaskOptions { max_masks: 8, max_points: 16, types: vec!["Color".into()], rectangle_only: false }
}

fn answer(status: StatusCode, doc: String) -> Response {
    (status, [("content-type", "application/soap+xml; charset=utf-8")], doc).into_response()
}

fn ok(body: String) -> Response {
    answer(StatusCode::OK, soap::envelope(None, NAMESPACES, &body))
}

fn fault(status: StatusCode, code: &str, reason: &str) -> Response {
    answer(status, soap::fault(code, reason))
}

impl CamSim {
    /// Serves the ONVIF mask calls forever.
    pub async fn serve_onvif(
        self: Arc<Self>,
        listener: tokio::net::TcpListener,
    ) -> std::io::Result<()> {
        let app = axum::Router::new()
            .route("/onvif/{mount}/media2_service", axum::routing::post(media2_service))
            .route("/onvif/{mount}/device_service", axum::routing::post(device_service))
            .with_state(self);
        axum::serve(listener, app).await
    }

    /// The masks set on a mount over ONVIF (outlines, in mimamori's coordinates).
    pub fn source_masks(&self, mount: &str) -> Vec<masking::Polygon> {
        self.mounts.get(mount).map_or_else(Vec::new, |m| {
            m.masks
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .0
                .iter()
                .map(|k| k.polygon.clone())
                .collect()
        })
    }

    /// How many masks the mount's stream has drawn in now (0: the plain clip).
    pub fn masks_drawn(&self, mount: &str) -> usize {
        self.mounts.get(mount).map_or(0, |m| m.sending.borrow().masks)
    }

    /// Draws the mount's current masks into its stream (in the background: the clip is
    /// re-encoded), unless the fault says to ignore them.
    fn redraw(self: &Arc<Self>, mount: &str) {
        let Some(m) = self.mounts.get(mount).cloned() else { return };
        if self.faults.masks_ignored && self.faults.applies(mount) {
            return;
        }
        let polygons: Vec<masking::Polygon> = m
            .masks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .0
            .iter()
            .filter(|k| k.enabled)
            .map(|k| k.polygon.clone())
            .collect();
        let me = self.clone();
        tokio::task::spawn_blocking(move || {
            let packets = if polygons.is_empty() {
                me.plain.clone()
            } else {
                match crate::clip::masked(&me.clip, &polygons) {
                    Ok(clip) => Arc::new(Packets::new(&clip, polygons.len())),
                    Err(e) => {
                        tracing::error!(error = %e, "camsim could not draw the masks");
                        return;
                    }
                }
            };
            // Only if these are still the mount's masks (a later call redraws).
            let now = m
                .masks
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .0
                .iter()
                .filter(|k| k.enabled)
                .count();
            if now == polygons.len() {
                m.sending.send_replace(packets);
            }
        });
    }
}

async fn device_service(
    State(sim): State<Arc<CamSim>>,
    Path(mount): Path<String>,
    headers: axum::http::HeaderMap,
    body: String,
) -> Response {
    if !sim.mounts.contains_key(&mount) {
        return fault(StatusCode::NOT_FOUND, "ter:ActionNotSupported", "no such device");
    }
    let root = match xml::parse(&body) {
        Ok(r) => r,
        Err(e) => return fault(StatusCode::BAD_REQUEST, "ter:WellFormed", &e),
    };
    match soap::body(&root).map(|b| b.name.as_str()) {
        Some("GetServices") => {}
        Some(_) => {
            return fault(StatusCode::BAD_REQUEST, "ter:ActionNotSupported", "not offered here");
        }
        None => return fault(StatusCode::BAD_REQUEST, "ter:WellFormed", "no body"),
    }
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1");
    let mut services = vec![onvif::device::Service {
        namespace: onvif::device::TDS.into(),
        xaddr: format!("http://{host}/onvif/{mount}/device_service"),
    }];
    if !(sim.faults.masks_unsupported && sim.faults.applies(&mount)) {
        services.push(onvif::device::Service {
            namespace: media2::TR2.into(),
            xaddr: format!("http://{host}/onvif/{mount}/media2_service"),
        });
    }
    answer(
        StatusCode::OK,
        soap::envelope(
            None,
            onvif::device::NAMESPACES,
            &onvif::device::response::services(&services),
        ),
    )
}

async fn media2_service(
    State(sim): State<Arc<CamSim>>,
    Path(mount): Path<String>,
    body: String,
) -> Response {
    let Some(m) = sim.mounts.get(&mount).cloned() else {
        return fault(StatusCode::NOT_FOUND, "ter:ActionNotSupported", "no such device");
    };
    let root = match xml::parse(&body) {
        Ok(r) => r,
        Err(e) => return fault(StatusCode::BAD_REQUEST, "ter:WellFormed", &e),
    };
    if let Some(auth) = &sim.auth {
        let (user, password) = auth.split_once(':').unwrap_or((auth.as_str(), ""));
        let proven = soap::UsernameToken::from_envelope(&root)
            .is_some_and(|t| t.username == user && t.proves(password));
        if !proven {
            return fault(
                StatusCode::BAD_REQUEST,
                "ter:NotAuthorized",
                "the sender is not authorised",
            );
        }
    }
    let Some(call) = soap::body(&root) else {
        return fault(StatusCode::BAD_REQUEST, "ter:WellFormed", "no body");
    };
    let unsupported = sim.faults.masks_unsupported && sim.faults.applies(&mount);
    let config_ok =
        |c: &xml::Element| c.child_text("ConfigurationToken").is_none_or(|t| t == VIDEO_SOURCE);
    match call.name.as_str() {
        "GetVideoSourceConfigurations" => ok(media2::response::video_source_configurations(
            &[VIDEO_SOURCE],
            sim.clip.width,
            sim.clip.height,
        )),
        "GetMaskOptions" | "GetMasks" | "CreateMask" | "DeleteMask" if unsupported => fault(
            StatusCode::BAD_REQUEST,
            "ter:ActionNotSupported",
            "this camera has no privacy masks",
        ),
        "GetMaskOptions" if config_ok(call) => ok(media2::response::mask_options(&mask_options())),
        "GetMasks" if config_ok(call) => {
            let masks = m.masks.lock().unwrap_or_else(|p| p.into_inner()).0.clone();
            ok(media2::response::masks(&masks))
        }
        "CreateMask" => {
            let Some(mut mask) = call.child("Mask").and_then(|x| media2::read_mask(x).ok()) else {
                return fault(
                    StatusCode::BAD_REQUEST,
                    "ter:InvalidArgVal",
                    "a mask that cannot be read",
                );
            };
            let opts = mask_options();
            if mask.configuration != VIDEO_SOURCE {
                return fault(StatusCode::BAD_REQUEST, "ter:NoConfig", "no such configuration");
            }
            if let Some(why) = opts.refuses(std::slice::from_ref(&mask.polygon)) {
                return fault(StatusCode::BAD_REQUEST, "ter:InvalidArgVal", &why);
            }
            let token = {
                let mut g = m.masks.lock().unwrap_or_else(|p| p.into_inner());
                if g.0.len() >= opts.max_masks {
                    return fault(
                        StatusCode::BAD_REQUEST,
                        "ter:MaxMasks",
                        "no room for another mask",
                    );
                }
                mask.token = format!("Mask_{}", g.1);
                g.1 += 1;
                g.0.push(mask.clone());
                mask.token
            };
            sim.redraw(&mount);
            ok(media2::response::created(&token))
        }
        "DeleteMask" => {
            let token = call.child_text("Token").unwrap_or("");
            let found = {
                let mut g = m.masks.lock().unwrap_or_else(|p| p.into_inner());
                let before = g.0.len();
                g.0.retain(|k| k.token != token);
                g.0.len() != before
            };
            if !found {
                return fault(StatusCode::BAD_REQUEST, "ter:InvalidArgVal", "no such mask");
            }
            sim.redraw(&mount);
            ok(media2::response::deleted())
        }
        "GetMaskOptions" | "GetMasks" => {
            fault(StatusCode::BAD_REQUEST, "ter:NoConfig", "no such configuration")
        }
        _ => fault(
            StatusCode::BAD_REQUEST,
            "ter:ActionNotSupported",
            "not a call this camera answers",
        ),
    }
}
