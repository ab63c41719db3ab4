use async_trait::async_trait;

use super::{AgencyScore, NewRating, Rating, SatisfactionQuery};
use crate::audit::AuditEvent;
use crate::error::CoreResult;
use crate::ids::{AccountId, OrderId, RatingId};
use crate::page::{Page, PageRequest};
use crate::scope::Scope;

#[async_trait]
pub trait SatisfactionStore: Send + Sync {
    /// Saves a rating with its audit event. An enterprise's second rating of the order is a
    /// `Conflict` (the enterprise rates an order once), decided by the database so two tabs
    /// cannot both save one.
    async fn add_rating(
        &self,
        rating: &NewRating,
        by: AccountId,
        audit: &AuditEvent,
    ) -> CoreResult<RatingId>;

    /// The ratings of one order, oldest first.
    async fn ratings_of(&self, order: OrderId) -> CoreResult<Vec<Rating>>;

    /// The ratings in `scope` given in the period, newest first.
    async fn list_ratings(
        &self,
        scope: &Scope,
        query: &SatisfactionQuery,
        page: PageRequest,
    ) -> CoreResult<Page<Rating>>;

    /// Each agency's score over the period in `scope`, best average first.
    async fn agency_scores(
        &self,
        scope: &Scope,
        query: &SatisfactionQuery,
    ) -> CoreResult<Vec<AgencyScore>>;
}
