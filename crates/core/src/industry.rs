//! 行业: a two-level dictionary seeded as data; first-level entries marked `mandatory` are the
//! sectors where 安责险 is compulsory.

use async_trait::async_trait;
use serde::Serialize;

use crate::error::CoreResult;

#[derive(Debug, Clone, Serialize)]
pub struct Industry {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    /// 高危行业 (强制投保)
    pub mandatory: bool,
}

#[async_trait]
pub trait IndustryStore: Send + Sync {
    async fn list_industries(&self) -> CoreResult<Vec<Industry>>;
}

/// A second-level industry with its parent, as pickers and lists show it: `危险化学品 / 经营`.
#[derive(Debug, Clone, Serialize)]
pub struct IndustryChoice {
    pub code: String,
    pub label: String,
    pub mandatory: bool,
}

/// Leaf industries with their full labels, in dictionary order.
pub fn choices(all: &[Industry]) -> Vec<IndustryChoice> {
    all.iter()
        .filter(|i| i.parent_code.is_some())
        .map(|leaf| {
            let parent = all
                .iter()
                .find(|p| Some(&p.code) == leaf.parent_code.as_ref());
            IndustryChoice {
                code: leaf.code.clone(),
                label: match parent {
                    Some(p) => format!("{} / {}", p.name, leaf.name),
                    None => leaf.name.clone(),
                },
                mandatory: parent.is_some_and(|p| p.mandatory),
            }
        })
        .collect()
}
