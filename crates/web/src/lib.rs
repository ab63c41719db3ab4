//! The HTTP face of anze: server-rendered pages for every organization type.
//!
//! Handlers are thin: they extract the caller and the input, call one core service and render.
//! Authorization lives in core; this crate never touches the database directly.

mod assets;
mod error;
mod extract;
mod pages;
pub mod upload;
mod view;
mod xlsx;

use anze_core::Store;
use anze_core::attachment::BlobStore;
use anze_core::auth::session::SessionPolicy;
use anze_core::time::Clock;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use std::sync::Arc;

pub use error::PageError;
pub use extract::origin::{IpNet, Origin};
pub use upload::UploadLimits;

/// Settings of the web layer, built by the binary from its configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Marks cookies `Secure`; set when the public URL is https.
    pub secure_cookies: bool,
    /// Sends `Strict-Transport-Security`; set when the public URL is https.
    pub hsts: bool,
    /// Take the client address from `X-Forwarded-For`, when the peer is a trusted proxy.
    pub trust_proxy: bool,
    /// The proxies whose `X-Forwarded-For` entries are believed.
    pub trusted_proxies: Vec<IpNet>,
    /// The origin users open, when configured: state-changing requests must come from it.
    /// Without it they must come from the origin the request's `Host` names.
    pub public_origin: Option<Origin>,
    pub session: SessionPolicy,
    /// Largest accepted form body.
    pub max_form_bytes: usize,
    /// Largest uploaded file (each file of a multipart form).
    pub max_upload_bytes: u64,
    /// Rows an Excel export reads per list call; one batch at a time is held in memory.
    pub export_batch_rows: u64,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            hsts: false,
            trust_proxy: false,
            trusted_proxies: IpNet::loopback(),
            public_origin: None,
            session: SessionPolicy::default(),
            max_form_bytes: 1024 * 1024,
            max_upload_bytes: UploadLimits::default().max_file_bytes,
            export_batch_rows: 1_000,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<WebConfig>,
    pub clock: Arc<dyn Clock>,
    /// Where attachment contents live.
    pub blobs: Arc<dyn BlobStore>,
}

impl AppState {
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    pub fn blobs(&self) -> &dyn BlobStore {
        self.blobs.as_ref()
    }

    /// The limits `upload::receive` applies, from the configuration.
    pub fn upload_limits(&self) -> UploadLimits {
        UploadLimits {
            max_file_bytes: self.config.max_upload_bytes,
            max_text_total: self.config.max_form_bytes,
            ..UploadLimits::default()
        }
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::home::index))
        .route("/healthz", get(pages::home::healthz))
        .route("/static/{*path}", get(assets::serve))
        .route(
            "/login",
            get(pages::auth::login_page).post(pages::auth::login),
        )
        .route("/logout", post(pages::auth::logout))
        .route(
            "/me/password",
            get(pages::auth::password_page).post(pages::auth::change_password),
        )
        .route("/orders", get(pages::orders::list))
        .route("/orders/{id}", get(pages::orders::show))
        .route(
            "/orders/{id}/accept",
            get(pages::orders::accept_page).post(pages::orders::accept),
        )
        .route("/orders/{id}/decline", post(pages::orders::decline))
        .route("/orders/{id}/cancel", post(pages::orders::cancel))
        .route("/orders/{id}/complete", post(pages::orders::complete))
        .route("/orders/{id}/assign", post(pages::orders::assign))
        .route(
            "/orders/{id}/{item}",
            get(pages::records::order_list)
                .post(pages::records::create)
                .layer(upload::body_limit()),
        )
        .route("/orders/{id}/{item}/new", get(pages::records::new))
        .route(
            "/records/{id}",
            get(pages::records::show)
                .post(pages::records::update)
                .layer(upload::body_limit()),
        )
        .route("/records/{id}/edit", get(pages::records::edit))
        .route("/records/{id}/delete", post(pages::records::delete))
        .route("/services/{item}", get(pages::records::list))
        .route(
            "/records/{id}/hazards",
            post(pages::hazards::create).layer(upload::body_limit()),
        )
        .route("/records/{id}/hazards/new", get(pages::hazards::new))
        .route("/records/{id}/notice", get(pages::hazards::notice))
        .route("/hazards", get(pages::hazards::ledger))
        .route("/hazards/export.xlsx", get(pages::exports::hazards))
        .route("/services/{item}/export.xlsx", get(pages::exports::records))
        .route("/hazards/{id}", get(pages::hazards::show))
        .route(
            "/hazards/{id}/rectify",
            post(pages::hazards::rectify).layer(upload::body_limit()),
        )
        .route(
            "/hazards/{id}/review",
            post(pages::hazards::review).layer(upload::body_limit()),
        )
        .route(
            "/policies",
            get(pages::policies::list).post(pages::policies::create),
        )
        .route("/policies/new", get(pages::policies::new))
        .route(
            "/policies/{id}",
            get(pages::policies::show).post(pages::policies::update),
        )
        .route("/policies/{id}/edit", get(pages::policies::edit))
        .route(
            "/policies/{id}/designate",
            get(pages::policies::designate_form).post(pages::policies::designate),
        )
        .route(
            "/enterprises",
            get(pages::enterprises::list).post(pages::enterprises::create),
        )
        .route("/enterprises/new", get(pages::enterprises::new))
        .route(
            "/enterprises/{id}",
            get(pages::enterprises::edit).post(pages::enterprises::update),
        )
        .route("/orgs", get(pages::orgs::list).post(pages::orgs::create))
        .route("/orgs/new", get(pages::orgs::new))
        .route(
            "/orgs/{id}",
            get(pages::orgs::edit).post(pages::orgs::update),
        )
        .route("/orgs/{id}/toggle", post(pages::orgs::toggle))
        .route(
            "/accounts",
            get(pages::accounts::list).post(pages::accounts::create),
        )
        .route("/accounts/new", get(pages::accounts::new))
        .route(
            "/accounts/{id}",
            get(pages::accounts::edit).post(pages::accounts::update),
        )
        .route("/accounts/{id}/delete", post(pages::accounts::delete))
        .route("/roles", get(pages::roles::list).post(pages::roles::create))
        .route("/roles/new", get(pages::roles::new))
        .route(
            "/roles/{id}",
            get(pages::roles::edit).post(pages::roles::update),
        )
        .route("/roles/{id}/delete", post(pages::roles::delete))
        // Excel import and exports. Static segments, so axum routes them before any
        // `/policies/{id}` or `/orders/{id}`. The upload enforces its own 10 MB limit while
        // reading, with a message, instead of the default 2 MB cut-off.
        .route(
            "/policies/import",
            get(pages::policy_import::page)
                .post(pages::policy_import::upload)
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/policies/import/template.xlsx",
            get(pages::policy_import::template),
        )
        .route("/policies/export.xlsx", get(pages::exports::policies))
        .route("/orders/export.xlsx", get(pages::exports::orders))
        .route("/attachments/{id}", get(pages::attachments::file))
        .route("/attachments/{id}/thumb", get(pages::attachments::thumb))
        .route("/audit", get(pages::logs::audit))
        .route("/login-log", get(pages::logs::logins))
        .fallback(pages::home::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            extract::context::middleware,
        ))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use axum::routing::get;
    use tower::ServiceExt;

    /// `/policies/{id}` and `/orders/{id}` live next to the Excel routes: the static segments
    /// must win whatever the order of registration, and ids must still reach their handler.
    #[tokio::test]
    async fn excel_paths_are_never_taken_for_ids() {
        let app = Router::new()
            .route("/policies/{id}", get(|| async { "policy" }))
            .route("/orders/{id}", get(|| async { "order" }))
            .route("/policies/import", get(|| async { "import" }))
            .route(
                "/policies/import/template.xlsx",
                get(|| async { "template" }),
            )
            .route("/policies/export.xlsx", get(|| async { "policies" }))
            .route("/orders/export.xlsx", get(|| async { "orders" }));
        for (path, handler) in [
            ("/policies/import", "import"),
            ("/policies/import/template.xlsx", "template"),
            ("/policies/export.xlsx", "policies"),
            ("/orders/export.xlsx", "orders"),
            ("/policies/42", "policy"),
            ("/orders/42", "order"),
        ] {
            let res = app
                .clone()
                .oneshot(Request::get(path).body(Body::empty()).unwrap())
                .await
                .unwrap();
            let body = to_bytes(res.into_body(), 64).await.unwrap();
            assert_eq!(body, handler.as_bytes(), "{path}");
        }
    }
}
