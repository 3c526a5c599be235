//! An ONVIF Media2 client for privacy masks, over HTTP (reqwest).

use crate::media2::{self, Mask, MaskOptions, NAMESPACES, TR2};
use crate::soap::{self, UsernameToken};
use crate::xml::Element;
use crate::{Error, device};
use geometry::Polygon;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A device's Media2 service, reached directly or found through its device service.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    url: String,
    credentials: Option<(String, String)>,
    /// The Media2 address the device service gave, once asked (cleared when a call fails to
    /// reach it, so a camera that moved its service is asked again).
    media2: Arc<Mutex<Option<String>>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The password is never printed.
        f.debug_struct("Client").field("url", &self.url).finish_non_exhaustive()
    }
}

/// Outlines read back may differ from those set by a device's rounding, up to this much.
pub const READ_BACK_TOLERANCE: f64 = 0.01;

impl Client {
    /// The Media2 service at `url` (`http://camera/onvif/media2_service`), or the device
    /// service there (`…/onvif/device_service`, [`device::is_device_service`]) to ask for it,
    /// with the user and password the device asks for, if it asks.
    pub fn new(url: &str, credentials: Option<(String, String)>) -> Client {
        let http =
            reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default();
        Client { http, url: url.to_owned(), credentials, media2: Arc::default() }
    }

    /// The Media2 service's address: the configured one, or the one the device service gives
    /// (on the host the device was reached at, [`device::on_same_host`]).
    pub async fn media2_url(&self) -> Result<String, Error> {
        if !device::is_device_service(&self.url) {
            return Ok(self.url.clone());
        }
        if let Some(u) = self.media2.lock().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(u);
        }
        let body = self
            .post(
                &self.url,
                device::NAMESPACES,
                device::TDS,
                "GetServices",
                &device::request::get_services(),
            )
            .await?;
        let services = device::read::services(&body).map_err(Error::Malformed)?;
        let media2 = services.iter().find(|s| s.namespace == TR2).ok_or_else(|| {
            Error::Cannot("the device offers no Media2 service (no masks over ONVIF)".into())
        })?;
        let url = device::on_same_host(&self.url, &media2.xaddr).ok_or_else(|| {
            Error::Malformed(format!("the Media2 address {:?} is not a URL", media2.xaddr))
        })?;
        *self.media2.lock().unwrap_or_else(|p| p.into_inner()) = Some(url.clone());
        Ok(url)
    }

    async fn call(&self, action: &str, body: &str) -> Result<Element, Error> {
        let url = self.media2_url().await?;
        let r = self.post(&url, NAMESPACES, TR2, action, body).await;
        if matches!(r, Err(Error::Http(_))) {
            *self.media2.lock().unwrap_or_else(|p| p.into_inner()) = None;
        }
        r
    }

    async fn post(
        &self,
        url: &str,
        namespaces: &str,
        service: &str,
        action: &str,
        body: &str,
    ) -> Result<Element, Error> {
        let token = self
            .credentials
            .as_ref()
            .map(|(u, p)| UsernameToken::new(u, p, jiff::Timestamp::now()));
        let doc = soap::envelope(token.as_ref(), namespaces, body);
        let resp = self
            .http
            .post(url)
            .header(
                "Content-Type",
                format!("application/soap+xml; charset=utf-8; action=\"{service}/{action}\""),
            )
            .body(doc)
            .send()
            .await
            .map_err(|e| Error::Http(e.without_url().to_string()))?;
        let status = resp.status();
        let text = resp.text().await.map_err(|e| Error::Http(e.without_url().to_string()))?;
        match soap::answer(&text) {
            Ok(body) if status.is_success() => Ok(body),
            Err(e @ Error::Fault { .. }) => Err(e),
            _ if !status.is_success() => Err(Error::Http(status.to_string())),
            other => other,
        }
    }

    /// The first video source configuration's token (a camera's one picture).
    pub async fn video_source(&self) -> Result<String, Error> {
        let body = self
            .call(
                "GetVideoSourceConfigurations",
                &media2::request::get_video_source_configurations(),
            )
            .await?;
        media2::read::video_source_configurations(&body)
            .into_iter()
            .next()
            .ok_or_else(|| Error::Malformed("no video source configuration".into()))
    }

    /// The masks the configuration accepts.
    pub async fn mask_options(&self, configuration: &str) -> Result<MaskOptions, Error> {
        let body =
            self.call("GetMaskOptions", &media2::request::get_mask_options(configuration)).await?;
        media2::read::mask_options(&body).map_err(Error::Malformed)
    }

    /// The configuration's masks.
    pub async fn masks(&self, configuration: &str) -> Result<Vec<Mask>, Error> {
        let body = self.call("GetMasks", &media2::request::get_masks(configuration)).await?;
        media2::read::masks(&body).map_err(Error::Malformed)
    }

    /// Creates a mask; its token.
    pub async fn create_mask(&self, mask: &Mask) -> Result<String, Error> {
        let body = self.call("CreateMask", &media2::request::create_mask(mask)).await?;
        media2::read::created(&body).map_err(Error::Malformed)
    }

    /// Deletes a mask.
    pub async fn delete_mask(&self, token: &str) -> Result<(), Error> {
        self.call("DeleteMask", &media2::request::delete_mask(token)).await.map(|_| ())
    }

    /// Makes `polygons` the camera's masks — every other mask of its picture deleted, each
    /// polygon created as a solid mask, all read back and compared — and returns the video
    /// source configuration they are on. [`Error::Cannot`] when the camera's options do not take
    /// them or it keeps other outlines than were set; [`Error::is_not_supported`] says whether it
    /// cannot mask at all.
    pub async fn set_masks(&self, polygons: &[Polygon]) -> Result<String, Error> {
        let configuration = self.video_source().await?;
        let options = self.mask_options(&configuration).await?;
        if let Some(why) = options.refuses(polygons) {
            return Err(Error::Cannot(why));
        }
        for old in self.masks(&configuration).await? {
            self.delete_mask(&old.token).await?;
        }
        for p in polygons {
            let mask = Mask {
                token: String::new(),
                configuration: configuration.clone(),
                polygon: p.clone(),
                kind: "Color".into(),
                enabled: true,
            };
            self.create_mask(&mask).await?;
        }
        let back = self.masks(&configuration).await?;
        let kept = |p: &Polygon| {
            back.iter().any(|m| {
                m.enabled
                    && m.kind == "Color"
                    && media2::same_outline(&m.polygon, p, READ_BACK_TOLERANCE)
            })
        };
        if back.len() != polygons.len() || !polygons.iter().all(kept) {
            return Err(Error::Cannot(format!(
                "the camera reads back {} masks other than the {} set",
                back.len(),
                polygons.len()
            )));
        }
        Ok(configuration)
    }
}
