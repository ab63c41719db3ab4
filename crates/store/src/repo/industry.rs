use anze_core::CoreResult;
use anze_core::industry::{Industry, IndustryStore};
use async_trait::async_trait;
use sea_orm::{EntityTrait, QueryOrder};

use crate::entity::industry;
use crate::{Db, db_err};

#[async_trait]
impl IndustryStore for Db {
    async fn list_industries(&self) -> CoreResult<Vec<Industry>> {
        // Seeded by the migrations, like the regions: a copy kept by `crate::cache`.
        let rows = match self.reference.industries() {
            Some(rows) => rows,
            None => {
                let at = self.reference.read_at();
                let rows = industry::Entity::find()
                    .order_by_asc(industry::Column::Sort)
                    .all(&self.conn)
                    .await
                    .map_err(db_err)?;
                self.reference.keep_industries(rows.clone(), at);
                rows
            }
        };
        Ok(rows
            .into_iter()
            .map(|i| Industry {
                code: i.code,
                name: i.name,
                parent_code: i.parent_code,
                mandatory: i.mandatory,
            })
            .collect())
    }
}
