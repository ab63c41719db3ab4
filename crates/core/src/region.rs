//! 区划: administrative regions, seeded as data by a migration.

use async_trait::async_trait;
use serde::Serialize;

use crate::error::{CoreResult, field_error};
use crate::store::Store;

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

/// The region and every region below it: a city regulator oversees all its districts.
pub fn covered(all: &[Region], code: &str) -> Vec<String> {
    let mut out = vec![code.to_string()];
    let mut frontier = vec![code.to_string()];
    while let Some(parent) = frontier.pop() {
        for r in all
            .iter()
            .filter(|r| r.parent_code.as_deref() == Some(parent.as_str()))
        {
            out.push(r.code.clone());
            frontier.push(r.code.clone());
        }
    }
    out
}

/// A list's 区划 filter (`raw`, a region code): that region and every region below it, so a
/// province regulator choosing a city finds the rows of its districts. `None` when no region
/// is chosen; an unknown code is the filter's error, not an empty list.
pub async fn filter(store: &dyn Store, raw: &str) -> CoreResult<Option<Vec<String>>> {
    let code = raw.trim();
    if code.is_empty() {
        return Ok(None);
    }
    let all = store.list_regions().await?;
    if !all.iter().any(|r| r.code == code) {
        return Err(field_error("region", "所选区划不存在,请从列表中选择"));
    }
    Ok(Some(covered(&all, code)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(code: &str, parent: Option<&str>) -> Region {
        Region {
            code: code.into(),
            name: code.into(),
            parent_code: parent.map(Into::into),
        }
    }

    #[test]
    fn a_city_covers_its_districts_and_a_district_only_itself() {
        let all = vec![
            r("350500", None),
            r("350502", Some("350500")),
            r("350503", Some("350500")),
        ];
        assert_eq!(covered(&all, "350500"), vec!["350500", "350502", "350503"]);
        assert_eq!(covered(&all, "350503"), vec!["350503"]);
    }
}
