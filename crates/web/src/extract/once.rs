//! The one-time key of create forms (`anze_core::submission`): a layer on each create route
//! that claims the key before the handler runs, answers a repeated submit with the first
//! one's redirect, and releases the key when the handler saved nothing (a form shown again
//! with its errors).
//!
//! The key comes from the `Idempotency-Key` header, the `_once` query parameter (multipart
//! forms, whose body is the handler's to stream) or the `_once` field of an urlencoded body.
//! A submit without a key runs as before.

use anze_core::submission::{self, Claim, SubmissionKey};
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::context::{RequestContext, provided_value};
use crate::AppState;
use crate::error::PageError;
use crate::view::{Flash, redirect_with};

pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match run(state, req, next).await {
        Ok(res) => res,
        Err(e) => e.into_response(),
    }
}

async fn run(state: AppState, req: Request, next: Next) -> Result<Response, PageError> {
    let actor = req
        .extensions()
        .get::<RequestContext>()
        .and_then(|rc| rc.auth.as_ref())
        .map(|a| a.actor.clone());
    let (Some(actor), true) = (actor, req.method() == Method::POST) else {
        return Ok(next.run(req).await);
    };
    let (raw, req) = provided_value(
        req,
        state.config.max_form_bytes,
        submission::HEADER,
        submission::FIELD,
    )
    .await?;
    let Some(key) = raw.as_deref().and_then(SubmissionKey::parse) else {
        return Ok(next.run(req).await);
    };
    let path = req.uri().path().to_string();
    let now = state.clock.now();
    match submission::service::claim(state.store(), &actor, &path, &key, now).await? {
        Claim::New(ticket) => {
            let res = next.run(req).await;
            let location = res
                .status()
                .is_redirection()
                .then(|| res.headers().get(header::LOCATION))
                .flatten()
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let settled = match location {
                Some(l) => submission::service::complete(state.store(), &ticket, &l, now).await,
                None => submission::service::release(state.store(), &ticket).await,
            };
            if let Err(e) = settled {
                // The work is done and answered; a key left pending only makes a later
                // retry say "result unknown" instead of replaying.
                tracing::warn!(error = %e, path, "one-time key not settled");
            }
            Ok(res)
        }
        Claim::Done { location, .. } => {
            tracing::info!(path, "repeated submit answered with the first result");
            Ok(redirect_with(&location, Flash::Resubmitted))
        }
        Claim::Pending { since } => {
            Err(PageError::Conflict(submission::pending_message(since, now)))
        }
    }
}
