//! Whether the people shared with a dashboard can also query its data, where a vendor keeps the
//! two apart: on Sisense every dashboard reads from a data model, and a share of the dashboard
//! without an entry on the model opens it empty ("If set to false user will not get dashboard
//! results", pysensesdk 1.0.7 `add_share(share_cube=True)`).

use std::collections::HashMap;

use serde::Serialize;

use crate::model::ShareKey;

/// How a principal reaches a dashboard's data model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reach {
    /// An entry of its own on the model.
    Direct,
    /// Through a group it belongs to.
    Group,
    /// Through the model's share with everyone.
    Everyone,
    /// No entry reaches it: it can open the dashboard but not query its data.
    None,
    /// The model could not be read, or its members not told: whether it reaches is unknown.
    Unknown,
}

/// What a dashboard's data model gives the principals asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataAccess {
    /// The model's title, as the dashboard names it.
    pub model: String,
    /// Each principal's reach; one left out is `Reach::Unknown`.
    pub reach: HashMap<ShareKey, Reach>,
    /// Why the model, or some principals' groups, could not be read: said once, never hidden.
    pub unreadable: Option<String>,
    /// The dashboard's title, where the answer that named the model told it.
    pub dashboard_title: Option<String>,
}

impl DataAccess {
    pub fn of(&self, key: &ShareKey) -> Reach {
        self.reach.get(key).copied().unwrap_or(Reach::Unknown)
    }
}

/// One principal's mark in a result or listing: the model and how the principal reaches it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataMark {
    pub model: String,
    pub reach: Reach,
    /// `grant --with-data` gives (or, in a dry run, would give) it the entry it lacks.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub given: bool,
}

impl DataMark {
    /// Whether the mark tells an access review something: no reach, or unknown.
    pub fn wants_attention(&self) -> bool {
        !self.given && matches!(self.reach, Reach::None | Reach::Unknown)
    }
}
