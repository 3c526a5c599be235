//! The device service's `GetServices` (ONVIF Core §8.1.2.1): where a camera's Media2 service is.
//! A camera is usually registered by its device service address
//! (`http://camera/onvif/device_service`, the one address ONVIF discovery gives); the Media2
//! service's address is asked of it.

use crate::xml::{Element, escape};

/// Device service namespace.
pub const TDS: &str = "http://www.onvif.org/ver10/device/wsdl";
/// The namespace declarations the device bodies below use.
pub const NAMESPACES: &str = "xmlns:tds=\"http://www.onvif.org/ver10/device/wsdl\" xmlns:tt=\"http://www.onvif.org/ver10/schema\"";

/// One service a device offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Its namespace (`http://www.onvif.org/ver20/media/wsdl` for Media2).
    pub namespace: String,
    /// Its address, as the device gives it.
    pub xaddr: String,
}

/// Whether `url` names a device service (by the path ONVIF Core fixes for it) rather than the
/// Media2 service itself.
pub fn is_device_service(url: &str) -> bool {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    path.trim_end_matches('/').ends_with("/device_service")
}

/// The address to call for a service the device at `device_url` gives as `xaddr`: its path on
/// the host the device was reached at. Devices behind NAT, or configured with another interface,
/// give addresses the recorder cannot reach; and a device must not be able to send the
/// recorder's credentials to another host.
pub fn on_same_host(device_url: &str, xaddr: &str) -> Option<String> {
    let device = url::Url::parse(device_url).ok()?;
    let given = url::Url::parse(xaddr).ok()?;
    let mut out = device.clone();
    out.set_path(given.path());
    out.set_query(given.query());
    out.set_fragment(None);
    Some(out.to_string())
}

/// Requests (client side).
pub mod request {
    /// `GetServices` without capabilities.
    pub fn get_services() -> String {
        "<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>"
            .into()
    }
}

/// Answers (device side).
pub mod response {
    use super::*;

    /// A `GetServicesResponse` listing `services` (version 2.0 each).
    pub fn services(services: &[Service]) -> String {
        let mut out = String::from("<tds:GetServicesResponse>");
        for s in services {
            out.push_str(&format!(
                "<tds:Service><tds:Namespace>{}</tds:Namespace><tds:XAddr>{}</tds:XAddr>\
                 <tds:Version><tt:Major>2</tt:Major><tt:Minor>0</tt:Minor></tds:Version>\
                 </tds:Service>",
                escape(&s.namespace),
                escape(&s.xaddr)
            ));
        }
        out.push_str("</tds:GetServicesResponse>");
        out
    }
}

/// Reads the answers (client side).
pub mod read {
    use super::*;

    /// The services of a `GetServicesResponse`.
    pub fn services(body: &Element) -> Result<Vec<Service>, String> {
        if body.name != "GetServicesResponse" {
            return Err(format!("{} where GetServicesResponse was expected", body.name));
        }
        Ok(body
            .all("Service")
            .filter_map(|s| {
                Some(Service {
                    namespace: s.child_text("Namespace")?.trim().to_owned(),
                    xaddr: s.child_text("XAddr")?.trim().to_owned(),
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_service_addresses_are_told_apart() {
        assert!(is_device_service("http://10.0.0.5/onvif/device_service"));
        assert!(is_device_service("https://10.0.0.5:8443/onvif/device_service/"));
        assert!(!is_device_service("http://10.0.0.5/onvif/media2_service"));
        assert!(!is_device_service("http://10.0.0.5/onvif/device_service_x"));
    }

    #[test]
    fn a_service_is_called_on_the_host_the_device_was_reached_at() {
        assert_eq!(
            on_same_host(
                "http://10.0.0.5:8080/onvif/device_service",
                "http://192.168.1.20/onvif/Media2?x=1"
            )
            .as_deref(),
            Some("http://10.0.0.5:8080/onvif/Media2?x=1")
        );
        assert_eq!(on_same_host("http://10.0.0.5/onvif/device_service", "not a url"), None);
    }

    #[test]
    fn get_services_round_trips() {
        let s = vec![
            Service { namespace: TDS.into(), xaddr: "http://c/onvif/device_service".into() },
            Service {
                namespace: crate::media2::TR2.into(),
                xaddr: "http://c/onvif/media2_service".into(),
            },
        ];
        let doc = crate::soap::envelope(None, NAMESPACES, &response::services(&s));
        let body = crate::soap::answer(&doc).unwrap();
        assert_eq!(read::services(&body).unwrap(), s);
    }
}
