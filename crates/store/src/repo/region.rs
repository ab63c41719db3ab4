use anze_core::CoreResult;
use anze_core::region::{Region, RegionStore};
use async_trait::async_trait;

use crate::Db;
use crate::entity::region;

fn to_domain(m: region::Model) -> Region {
    Region {
        code: m.code,
        name: m.name,
        parent_code: m.parent_code,
    }
}

#[async_trait]
impl RegionStore for Db {
    async fn list_regions(&self) -> CoreResult<Vec<Region>> {
        Ok(self
            .region_rows()
            .await?
            .into_iter()
            .map(to_domain)
            .collect())
    }

    async fn get_region(&self, code: &str) -> CoreResult<Option<Region>> {
        Ok(self
            .region_rows()
            .await?
            .into_iter()
            .find(|r| r.code == code)
            .map(to_domain))
    }
}
