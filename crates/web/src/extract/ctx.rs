use anze_core::auth::Actor;
use axum::extract::FromRequestParts;
use axum::http::Uri;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};

use super::context::RequestContext;
use crate::AppState;
use crate::error::PageError;
use crate::view::{Flash, Shell};

/// The logged-in caller of a page handler. Missing or expired sessions redirect to the login
/// page, remembering where the user wanted to go.
pub struct Ctx {
    pub actor: Actor,
    pub csrf: String,
    pub flash: Option<Flash>,
    pub now: DateTime<Utc>,
    pub uri: Uri,
    /// 待受理 orders, shown as a badge on the 服务订单 menu.
    pub pending_orders: u64,
    /// Unread notifications, shown on the bell.
    pub unread_notices: u64,
    /// The one-time key this page's create forms carry (`anze_core::submission`).
    pub once: String,
    /// Files kept from a refused submit, for the re-shown form (`upload::submit`).
    pub pending: Vec<crate::upload::PendingFile>,
}

impl Ctx {
    pub fn shell(&self, active: &'static str) -> Shell {
        Shell::new(self, active)
    }

    /// The same caller, with the files its refused form carried (see `upload::Submitted`).
    pub fn with_pending(mut self, pending: Vec<crate::upload::PendingFile>) -> Self {
        self.pending = pending;
        self
    }

    /// The action of a multipart create form: the CSRF token and the one-time key ride in the
    /// URL, since the middleware does not read multipart bodies.
    pub fn form_action(&self, path: &str) -> String {
        format!("{path}?_csrf={}&_once={}", self.csrf, self.once)
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let rc = parts
            .extensions
            .get::<RequestContext>()
            .ok_or_else(|| PageError::Internal("request context missing".into()))?;
        let Some(auth) = rc.auth.clone() else {
            let next = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_string())
                .unwrap_or_else(|| "/".into());
            return Err(PageError::LoginRequired { next });
        };
        let pending_orders =
            anze_core::order::service::pending_count(state.store(), &auth.actor).await?;
        let unread_notices =
            anze_core::notify::service::unread_count(state.store(), &auth.actor).await?;
        Ok(Ctx {
            once: anze_core::submission::SubmissionKey::generate()
                .as_str()
                .to_string(),
            pending_orders,
            unread_notices,
            actor: auth.actor,
            csrf: auth.session.csrf_token,
            flash: rc.flash,
            now: state.clock.now(),
            uri: parts.uri.clone(),
            pending: Vec::new(),
        })
    }
}

/// The logged-in caller without the page shell's extras, for file downloads: a page embeds
/// dozens of thumbnails, and each would otherwise count the menu badge's orders.
pub struct Caller {
    pub actor: Actor,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, PageError> {
        let rc = parts
            .extensions
            .get::<RequestContext>()
            .ok_or_else(|| PageError::Internal("request context missing".into()))?;
        match &rc.auth {
            Some(auth) => Ok(Caller {
                actor: auth.actor.clone(),
            }),
            None => Err(PageError::LoginRequired {
                next: parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_else(|| "/".into()),
            }),
        }
    }
}
