//! The HTTP face of anze: server-rendered pages for every organization type.
//!
//! Handlers are thin: they extract the caller and the input, call one core service and render.
//! Authorization lives in core; this crate never touches the database directly.

pub mod api;
mod archive;
mod assets;
mod chart;
mod error;
mod extract;
pub mod metrics;
mod pages;
pub mod pdf;
pub mod upload;
mod view;
mod xlsx;

use anze_core::Store;
use anze_core::attachment::BlobStore;
use anze_core::auth::session::SessionPolicy;
use anze_core::time::Clock;
use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{self, MethodRouter};
use std::sync::Arc;

pub use error::PageError;
pub use extract::origin::{IpNet, Origin};
pub use metrics::{MetricsAccess, PoolSample};
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
    /// The CJK font PDF documents are set in; `None`: no PDF, pages offer their print version.
    pub pdf_font: Option<pdf::FontSource>,
    /// Who may read `/metrics`.
    pub metrics: MetricsAccess,
    /// Calls one API token may make per minute on this instance.
    pub api_requests_per_minute: u32,
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
            pdf_font: None,
            metrics: MetricsAccess::default(),
            api_requests_per_minute: 600,
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
    /// The font of PDF documents, read when the first one is made.
    pub pdf: Arc<pdf::PdfFonts>,
    /// Samples the database's connection pools for `/metrics`; the binary supplies it, since
    /// this crate does not see the database.
    pub pools: Option<Arc<dyn Fn() -> Vec<PoolSample> + Send + Sync>>,
    /// Each API token's allowance of calls on this instance.
    pub api_limits: Arc<api::RateLimits>,
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        config: WebConfig,
        clock: Arc<dyn Clock>,
        blobs: Arc<dyn BlobStore>,
    ) -> Self {
        Self {
            pdf: Arc::new(pdf::PdfFonts::new(config.pdf_font.clone())),
            store,
            config: Arc::new(config),
            clock,
            blobs,
            pools: None,
            api_limits: Arc::new(api::RateLimits::default()),
        }
    }

    /// Reports the connection pools `sample` returns on `/metrics`.
    pub fn with_pools(
        mut self,
        sample: impl Fn() -> Vec<PoolSample> + Send + Sync + 'static,
    ) -> Self {
        self.pools = Some(Arc::new(sample));
        self
    }

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

/// One route: a method, a path and its handler. The router is built from `routes()` and
/// `route_table()` lists the same entries, so the authorization matrix test can demand a row for
/// every route there is.
struct Route {
    method: Method,
    path: &'static str,
    handler: MethodRouter<AppState>,
    /// A create route: a repeated submit of one form answers with the first result.
    once: bool,
    /// An `/api/v1` route: bearer tokens, no session, no CSRF (`api`).
    api: bool,
}

impl Route {
    fn get<H, T>(path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        Self {
            method: Method::GET,
            path,
            handler: routing::get(handler),
            once: false,
            api: false,
        }
    }

    fn post<H, T>(path: &'static str, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        Self {
            method: Method::POST,
            path,
            handler: routing::post(handler),
            once: false,
            api: false,
        }
    }

    /// An upload route: axum's default 2 MB body limit would cut every file off, and the
    /// handler enforces its own per-file and per-request limits while reading.
    fn upload(mut self) -> Self {
        self.handler = self.handler.layer(upload::body_limit());
        self
    }

    /// A route that creates something: its forms carry a one-time key (`shell.once`, or
    /// `Ctx::form_action` for multipart forms) and a second submit with the same key is
    /// answered with the first one's redirect instead of creating again.
    fn once(mut self) -> Self {
        self.once = true;
        self
    }

    /// A body limit other than axum's default 2 MB.
    fn body_limit(mut self, bytes: usize) -> Self {
        self.handler = self
            .handler
            .layer(axum::extract::DefaultBodyLimit::max(bytes));
        self
    }

    /// An API route: outside the session and CSRF layer, which are for pages.
    fn api(mut self) -> Self {
        self.api = true;
        self
    }
}

/// Every route of the application. Static segments (`/policies/import`, `…/export.xlsx`) win
/// over `{id}` captures whatever the order, so ids never shadow them.
fn routes() -> Vec<Route> {
    use pages::*;
    vec![
        Route::get("/", home::index),
        Route::get("/healthz", home::healthz),
        Route::get("/metrics", crate::metrics::page),
        Route::get("/static/{*path}", crate::assets::serve),
        Route::get("/login", auth::login_page),
        Route::post("/login", auth::login),
        Route::post("/logout", auth::logout),
        Route::get("/me/password", auth::password_page),
        Route::post("/me/password", auth::change_password),
        Route::get("/orders", orders::list),
        Route::get("/orders/{id}", orders::show),
        Route::get("/orders/{id}/accept", orders::accept_page),
        Route::post("/orders/{id}/accept", orders::accept),
        Route::post("/orders/{id}/decline", orders::decline),
        Route::post("/orders/{id}/cancel", orders::cancel),
        Route::post("/orders/{id}/complete", orders::complete),
        Route::post("/orders/{id}/assign", orders::assign),
        Route::get("/orders/{id}/rating", satisfaction::rating_page),
        Route::post("/orders/{id}/rating", satisfaction::rate).once(),
        Route::get("/orders/{id}/followup", satisfaction::followup_page),
        Route::post("/orders/{id}/followup", satisfaction::followup).once(),
        Route::get("/dashboard", dashboard::show),
        Route::get("/dashboard/export.xlsx", dashboard::export),
        Route::post("/dashboard/refresh", dashboard::refresh),
        Route::get("/satisfaction", satisfaction::list),
        Route::get("/satisfaction/export.xlsx", exports::satisfaction),
        Route::get("/orders/{id}/report", reports::page),
        Route::get("/orders/{id}/report.pdf", reports::pdf),
        Route::get("/orders/{id}/{item}", records::order_list),
        Route::post("/orders/{id}/{item}", records::create)
            .upload()
            .once(),
        Route::get("/orders/{id}/{item}/new", records::new),
        Route::get("/records/{id}", records::show),
        Route::post("/records/{id}", records::update).upload(),
        Route::get("/records/{id}/edit", records::edit),
        Route::post("/records/{id}/delete", records::delete),
        Route::post("/records/{id}/confirm", records::confirm),
        Route::post("/records/{id}/object", records::object),
        Route::post("/records/{id}/reply", records::reply),
        Route::get("/confirmations", records::confirmations),
        Route::get("/services/{item}", records::list),
        Route::post("/records/{id}/hazards", hazards::create)
            .upload()
            .once(),
        Route::get("/records/{id}/hazards/new", hazards::new),
        Route::get("/records/{id}/notice", hazards::notice),
        Route::get("/records/{id}/notice.pdf", hazards::notice_pdf),
        Route::post("/records/{id}/notice/sign", hazards::sign_notice),
        Route::post(
            "/records/{id}/notice/sign-onsite",
            hazards::sign_notice_on_site,
        )
        .upload(),
        Route::get("/records/{id}/checks", checklists::inspection),
        Route::post("/records/{id}/checks", checklists::mark),
        Route::post("/records/{id}/checklists", checklists::take),
        Route::post(
            "/records/{id}/checklists/{checklist}/remove",
            checklists::remove,
        ),
        Route::get("/checklists", checklists::list),
        Route::post("/checklists", checklists::create).once(),
        Route::get("/checklists/new", checklists::new),
        Route::get("/checklists/template.xlsx", checklists::template),
        Route::get("/checklists/stats", checklists::stats),
        Route::get("/checklists/stats/export.xlsx", checklists::stats_export),
        Route::get("/checklists/{id}", checklists::show),
        Route::post("/checklists/{id}", checklists::update),
        Route::get("/checklists/{id}/edit", checklists::edit),
        Route::post("/checklists/{id}/items", checklists::import)
            .body_limit(crate::xlsx::MAX_UPLOAD_BYTES + 64 * 1024),
        Route::get("/checklists/{id}/export.xlsx", checklists::export),
        Route::post("/checklists/{id}/toggle", checklists::toggle),
        Route::post("/checklists/{id}/delete", checklists::delete),
        Route::get("/hazards", hazards::ledger),
        Route::get("/hazards/export.xlsx", exports::hazards),
        Route::get("/services/{item}/export.xlsx", exports::records),
        Route::get("/hazards/{id}", hazards::show),
        Route::get("/hazards/{id}/review.pdf", hazards::review_pdf),
        Route::post("/hazards/{id}/rectify", hazards::rectify)
            .upload()
            .once(),
        Route::post("/hazards/{id}/review", hazards::review)
            .upload()
            .once(),
        Route::get("/complaints", complaints::list),
        Route::get("/complaints/export.xlsx", exports::complaints),
        Route::get("/orders/{id}/complaints/new", complaints::new),
        Route::post("/orders/{id}/complaints", complaints::create)
            .upload()
            .once(),
        Route::get("/complaints/{id}", complaints::show),
        Route::post("/complaints/{id}/accept", complaints::accept),
        Route::post("/complaints/{id}/process", complaints::process),
        Route::post("/complaints/{id}/settle", complaints::settle),
        Route::post("/complaints/{id}/reply", complaints::reply),
        Route::get("/calendar", calendar::page),
        Route::post("/calendar", calendar::add).once(),
        Route::post("/calendar/{id}/delete", calendar::delete),
        Route::get("/integrity", integrity::list),
        Route::get("/integrity/export.xlsx", exports::integrity),
        Route::get("/integrity/rates.xlsx", exports::integrity_rates),
        Route::post("/integrity/{id}/answer", integrity::answer),
        Route::post("/integrity/{id}/decide", integrity::decide),
        Route::get("/policies", policies::list),
        Route::post("/policies", policies::create).once(),
        Route::get("/policies/new", policies::new),
        Route::get("/policies/{id}", policies::show),
        Route::get("/policies/{id}/archive.zip", policies::archive),
        Route::post("/policies/{id}", policies::update),
        Route::get("/policies/{id}/edit", policies::edit),
        Route::get("/policies/{id}/designate", policies::designate_form),
        Route::post("/policies/{id}/designate", policies::designate).once(),
        Route::get("/enterprises", enterprises::list),
        Route::post("/enterprises", enterprises::create).once(),
        Route::get("/enterprises/new", enterprises::new),
        Route::get("/enterprises/{id}/account", enterprises::account_form),
        Route::post("/enterprises/{id}/account", enterprises::open_account).once(),
        Route::get("/register", auth::register_page),
        Route::post("/register", auth::register),
        Route::get("/enterprises/{id}", enterprises::edit),
        Route::post("/enterprises/{id}", enterprises::update),
        Route::get("/orgs", orgs::list),
        Route::post("/orgs", orgs::create).once(),
        Route::get("/orgs/new", orgs::new),
        Route::get("/orgs/{id}", orgs::edit),
        Route::post("/orgs/{id}", orgs::update),
        Route::post("/orgs/{id}/toggle", orgs::toggle),
        Route::get("/accounts", accounts::list),
        Route::post("/accounts", accounts::create).once(),
        Route::get("/accounts/new", accounts::new),
        Route::get("/accounts/{id}", accounts::edit),
        Route::post("/accounts/{id}", accounts::update),
        Route::post("/accounts/{id}/delete", accounts::delete),
        Route::get("/roles", roles::list),
        Route::post("/roles", roles::create).once(),
        Route::get("/roles/new", roles::new),
        Route::get("/roles/{id}", roles::edit),
        Route::post("/roles/{id}", roles::update),
        Route::post("/roles/{id}/delete", roles::delete),
        Route::get("/policies/import", policy_import::page),
        Route::post("/policies/import", policy_import::upload)
            .upload()
            .once(),
        Route::get("/policies/import/template.xlsx", policy_import::template),
        Route::get("/policies/export.xlsx", exports::policies),
        Route::get("/orders/export.xlsx", exports::orders),
        Route::get("/attachments/{id}", attachments::file),
        Route::get("/attachments/{id}/thumb", attachments::thumb),
        Route::get("/audit", logs::audit),
        Route::post("/audit/verify", logs::verify),
        Route::get("/login-log", logs::logins),
        Route::get("/notifications", notifications::list),
        Route::post("/notifications/read-all", notifications::read_all),
        Route::post("/notifications/{id}/read", notifications::open),
        Route::get("/jobs", jobs::list),
        Route::get("/webhook", webhooks::page),
        Route::post("/webhook", webhooks::save),
        Route::get("/api-tokens", api_tokens::page),
        Route::post("/api-tokens", api_tokens::create),
        Route::post("/api-tokens/{id}/revoke", api_tokens::revoke),
        Route::get("/api-tokens/calls", api_tokens::calls),
        Route::get("/api/v1/openapi.json", crate::api::openapi).api(),
        Route::get("/api/docs", crate::api::docs).api(),
        Route::get("/api/v1/orders", crate::api::orders).api(),
        Route::get("/api/v1/orders/{id}", crate::api::order).api(),
        Route::post("/api/v1/orders/{id}/accept", crate::api::accept).api(),
        Route::post("/api/v1/orders/{id}/decline", crate::api::decline).api(),
        Route::post("/api/v1/orders/{id}/cancel", crate::api::cancel).api(),
        Route::post("/api/v1/policies/{id}/orders", crate::api::designate).api(),
        Route::get("/api/v1/records", crate::api::records).api(),
        Route::get("/api/v1/records/{id}", crate::api::record).api(),
        Route::get("/api/v1/attachments/{id}", crate::api::attachment).api(),
        Route::get("/api/v1/hazards", crate::api::hazards).api(),
        Route::get("/api/v1/hazards/{id}", crate::api::hazard).api(),
        Route::get("/api/v1/policies", crate::api::policies).api(),
        Route::get("/api/v1/policies/{id}", crate::api::policy).api(),
        // A full batch (10,000 policies) is several megabytes of JSON.
        Route::post("/api/v1/policies/batch", crate::api::policy_batch)
            .api()
            .body_limit(32 * 1024 * 1024),
    ]
}

/// `(method, path)` of every route, as registered.
pub fn route_table() -> Vec<(Method, &'static str)> {
    routes().into_iter().map(|r| (r.method, r.path)).collect()
}

pub fn router(state: AppState) -> Router {
    // Installed before the first request, so the first requests are counted.
    metrics::handle();
    let (api, pages): (Vec<Route>, Vec<Route>) = routes().into_iter().partition(|r| r.api);
    let api = api
        .into_iter()
        .fold(Router::new(), |router, r| router.route(r.path, r.handler))
        .route("/api/{*rest}", routing::any(api::not_found))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            api::idempotent,
        ))
        // After routing, so each call is recorded under its route's template.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            api::log_calls,
        ));
    pages
        .into_iter()
        .fold(Router::new(), |router, r| {
            let handler = if r.once {
                r.handler.layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    extract::once::guard,
                ))
            } else {
                r.handler
            };
            router.route(r.path, handler)
        })
        .fallback(pages::home::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            extract::context::middleware,
        ))
        .merge(api)
        // Outermost: the time includes the session lookup, and refused requests are counted.
        .layer(axum::middleware::from_fn(metrics::track))
        // Around everything, so a body refused by any layer still lets its answer arrive.
        .layer(axum::middleware::from_fn(upload::drain::layer))
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
