use anze_core::CoreResult;
use anze_core::region::{Region, RegionStore};
use async_trait::async_trait;
use sea_orm::{EntityTrait, QueryOrder};

use crate::entity::region;
use crate::{Db, db_err};

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
        let rows = region::Entity::find()
            .order_by_asc(region::Column::Sort)
            .all(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(rows.into_iter().map(to_domain).collect())
    }

    async fn get_region(&self, code: &str) -> CoreResult<Option<Region>> {
        let row = region::Entity::find_by_id(code.to_string())
            .one(&self.conn)
            .await
            .map_err(db_err)?;
        Ok(row.map(to_domain))
    }
}
