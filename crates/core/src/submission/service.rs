use chrono::{DateTime, Utc};

use super::{
    Claim, KEEP, REPLAY_MAX_BYTES, Replay, SubmissionKey, Ticket, fingerprint, is_local_location,
};
use crate::auth::Actor;
use crate::error::{CoreError, CoreResult};
use crate::store::Store;

/// Claims `key` for the actor's submit to `path`.
pub async fn claim(
    store: &dyn Store,
    actor: &Actor,
    path: &str,
    key: &SubmissionKey,
    now: DateTime<Utc>,
) -> CoreResult<Claim> {
    let fp = fingerprint(actor.account_id, path, key);
    store
        .claim_submission(&fp, actor.account_id, path, now)
        .await
}

/// The submit saved and led to `location`.
pub async fn complete(
    store: &dyn Store,
    ticket: &Ticket,
    location: &str,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    if !is_local_location(location) {
        // A replay would send the user off-site; keep the claim pending rather than store it.
        return Err(CoreError::Internal(format!(
            "submission led outside the site: {location}"
        )));
    }
    store
        .complete_submission(&ticket.fingerprint, location, None, now)
        .await
}

/// The API call succeeded with `response`, about the resource at `location`.
pub async fn complete_call(
    store: &dyn Store,
    ticket: &Ticket,
    location: &str,
    response: &Replay,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    if !is_local_location(location) || response.body.len() > REPLAY_MAX_BYTES {
        return Err(CoreError::Internal(format!(
            "API answer not kept for replay: {location}, {} bytes",
            response.body.len()
        )));
    }
    store
        .complete_submission(&ticket.fingerprint, location, Some(response), now)
        .await
}

/// The submit saved nothing: the key may be used again.
pub async fn release(store: &dyn Store, ticket: &Ticket) -> CoreResult<()> {
    store.release_submission(&ticket.fingerprint).await
}

/// The housekeeping job: keys older than [`KEEP`] are forgotten.
pub async fn prune(store: &dyn Store, now: DateTime<Utc>) -> CoreResult<u64> {
    store.prune_submissions(now - KEEP).await
}
