//! mimamori's web application (issue 6): server-rendered HTML pages in Japanese first, English
//! by a switch, with no JavaScript build step.
//!
//! The pages are a thin layer over the HTTP API: every page reads through the API and every form
//! posts to the API, in process (`tower::ServiceExt::oneshot` on the API router) with the
//! browser's own session cookie and CSRF token. So the API's guards decide what each role may see
//! and do (deny by default, every refusal audited), the API's validation messages appear next to
//! the fields, and there is no second implementation of any rule here. Answers are read as the
//! API's own response types (`client::Api::get_as`), and the forms a page posts are named by one
//! enum (`pages::forms::PageForm`). There is no live view anywhere (ALL-REC-2).

pub mod client;
pub mod i18n;
mod pages;

use axum::Router;
use axum::routing::{get, post};
use std::sync::Arc;

/// The web application's state: the API it renders.
pub struct Ui {
    api: client::Api,
    /// The map tiles' URL template (`{z}/{x}/{y}`): the Geospatial Information Authority's
    /// standard tiles unless `MIMAMORI_MAP_TILES` names others (a city's own tile server, or a
    /// local one in tests).
    map_tiles: String,
    /// The city's name (ja, en), read once from the API for the public pages' header.
    city: tokio::sync::OnceCell<server::api::lifecycle::PublicCity>,
    /// The regulation profile in force, read once from the API (it is fixed for the life of the
    /// server process): pages ask it for labels and switches instead of calling the API again.
    profile: tokio::sync::OnceCell<Arc<policy::Profile>>,
}

impl Ui {
    /// The city whose system this is; `None` (the product's name shows) while the API cannot
    /// say — a failed read is not kept, the next page asks again.
    async fn city(&self) -> Option<&server::api::lifecycle::PublicCity> {
        self.city
            .get_or_try_init(|| async {
                let a = self.api.get("/api/v1/public/city", &axum::http::HeaderMap::new()).await;
                a.read::<server::api::lifecycle::PublicCity>().map_err(|_| ())
            })
            .await
            .ok()
    }

    /// The regulation profile in force, as the API states it to this session (issue 23, item
    /// 6: one call per page, not one for the page and one for the profile). Read on the first
    /// page a logged-in person opens; a refused or failed read is not kept.
    async fn profile(
        &self,
        browser: &axum::http::HeaderMap,
    ) -> Result<Arc<policy::Profile>, client::Answer> {
        self.profile
            .get_or_try_init(|| async {
                let a = self.api.get("/api/v1/profile", browser).await;
                a.read::<server::api::session::ProfileView>().map(|v| v.0)
            })
            .await
            .cloned()
    }
}

/// The Geospatial Information Authority of Japan's standard map tiles (地理院タイル 標準地図).
pub const GSI_TILES: &str = "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png";

/// The pages, to be merged with the API router. `api` is the API router with its state (the
/// same one the server serves).
pub fn router(api: Router) -> Router {
    let map_tiles = std::env::var("MIMAMORI_MAP_TILES")
        .ok()
        .filter(|t| t.starts_with("https://") || t.starts_with("http://"))
        .unwrap_or_else(|| GSI_TILES.to_owned());
    let ui = Arc::new(Ui {
        api: client::Api::new(api),
        map_tiles,
        city: tokio::sync::OnceCell::new(),
        profile: tokio::sync::OnceCell::new(),
    });
    Router::new()
        .route("/", get(pages::dashboard))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/lang/{lang}", get(pages::set_lang))
        .route("/years/{style}", get(pages::set_years))
        .route("/account", get(pages::account).post(pages::account_update))
        .route("/requests", get(pages::requests))
        .route("/requests.csv", get(pages::requests_csv))
        .route("/ledger.csv", get(pages::ledger_csv))
        .route("/audit.csv", get(pages::audit_csv))
        .route("/complaints.csv", get(pages::complaints_csv))
        .route("/requests/new", get(pages::new_request).post(pages::create_request))
        .route("/requests/{id}", get(pages::request))
        .route("/requests/{id}/certificate", get(pages::certificate))
        .route("/requests/{id}/application", get(pages::application))
        .route("/emergency/{id}/application", get(pages::order_application))
        .route("/requests/{id}/act/{action}", post(pages::request_action))
        .route("/requests/{id}/instruct", post(pages::instruct))
        .route("/instructions/{id}/{action}", post(pages::instruction_action))
        .route("/requests/{id}/ledger", post(pages::write_ledger))
        .route("/requests/{id}/report/{extraction}", post(pages::report))
        .route("/ledger", get(pages::ledger))
        .route("/emergency", get(pages::emergency))
        .route("/emergency/new", post(pages::create_order))
        .route("/emergency/{id}/{action}", post(pages::order_action))
        .route("/cameras", get(pages::cameras).post(pages::cameras_post))
        .route("/cameras/{id}/masks", get(pages::masks).post(pages::masks_post))
        .route("/workstations", get(pages::workstations).post(pages::workstations_post))
        .route("/nodes", get(pages::nodes).post(pages::nodes_post))
        .route("/room", get(pages::room).post(pages::room_post))
        .route("/contracts", get(pages::contracts).post(pages::contracts_post))
        .route("/accounts", get(pages::accounts).post(pages::accounts_post))
        .route("/holds", get(pages::holds).post(pages::holds_post))
        .route("/retention", get(pages::retention).post(pages::retention_post))
        .route("/reconciliation", get(pages::reconciliation).post(pages::reconciliation_post))
        .route("/duties", get(pages::duties).post(pages::duties_post))
        .route("/audit", get(pages::audit))
        .route("/contact", get(pages::contact).post(pages::contact_post))
        .route("/public/cameras", get(pages::public_cameras))
        .route("/public/audit", get(pages::public_audit))
        .route("/complaints", get(pages::complaints).post(pages::complaints_post))
        .route("/reports", get(pages::reports).post(pages::reports_post))
        .route("/public/reports", get(pages::public_reports))
        .route("/public/reports/{fy}/{file}", get(pages::public_report_file))
        .route("/reports/{fy}/{file}", get(pages::report_file))
        .route("/rules", get(pages::rules))
        .route("/disposals", get(pages::disposals).post(pages::disposals_post))
        .route("/disposals/{id}/certificate", get(pages::disposal_certificate))
        .route("/viewings", get(pages::viewings).post(pages::viewings_post))
        .route("/viewings/{id}", get(pages::viewing))
        .route("/viewings/{id}/close", post(pages::viewing_close))
        .route("/viewings/{id}/judge-witnesses", post(pages::viewing_judge))
        .route("/delegations", get(pages::delegations).post(pages::delegations_post))
        .route("/enrol/{code}", get(pages::enrol).post(pages::enrol_confirm))
        .route("/assets/tokens.css", get(pages::tokens))
        .route("/assets/leaflet/{file}", get(pages::leaflet))
        .route("/assets/leaflet/images/{file}", get(pages::leaflet_image))
        .route("/assets/style.css", get(pages::style))
        .route("/assets/app.js", get(pages::script))
        .route("/assets/player.js", get(pages::player_script))
        .with_state(ui)
        .layer(axum::middleware::from_fn(pages::with_years))
        .layer(axum::middleware::from_fn(same_origin_posts))
        .layer(axum::middleware::from_fn(server::security_headers))
}

/// Every form post comes from this site's own pages (issue 16, L5: login CSRF included): a
/// `POST` whose `Origin` (or, without one, `Referer`) names another host is refused before any
/// page sees it.
async fn same_origin_posts(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::{Method, StatusCode, header};
    use axum::response::IntoResponse;
    if req.method() == Method::POST {
        let h = req.headers();
        let host = h.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
        // An `Origin: null` or an unreadable one is refused too; without either header (an old
        // client) the CSRF token still guards every post but the login.
        let named = h.get(header::ORIGIN).or_else(|| h.get(header::REFERER));
        if let Some(v) = named {
            let origin_host =
                v.to_str().ok().and_then(|v| url::Url::parse(v).ok()).map(|u| match u.port() {
                    Some(p) => format!("{}:{p}", u.host_str().unwrap_or("")),
                    None => u.host_str().unwrap_or("").to_owned(),
                });
            if origin_host.as_deref() != Some(host) {
                let refusal = "この送信は本システムの画面からのものではありません / \
                               this form was not sent from this site's pages";
                return (StatusCode::FORBIDDEN, refusal).into_response();
            }
        }
    }
    next.run(req).await
}
