//! 区划: administrative regions, seeded as data by a migration.

use async_trait::async_trait;
use serde::Serialize;

use crate::error::CoreResult;

#[derive(Debug, Clone, Serialize)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
}

#[async_trait]
pub trait RegionStore: Send + Sync {
    async fn list_regions(&self) -> CoreResult<Vec<Region>>;
    async fn get_region(&self, code: &str) -> CoreResult<Option<Region>>;
}
