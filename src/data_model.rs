//! Entries given on a dashboard's data model (Sisense: a viewer needs one to query the data a
//! dashboard shows), as a plain value: what `grant --with-data` plans, journals and `undo` takes
//! back. The vendor's provider alone knows what `model` names and what a level means.

use serde::{Deserialize, Serialize};

use crate::model::ShareKey;

/// A data model, named by its provider: `id` finds it again (opaque to everyone else), `title`
/// is what people call it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DataModelRef {
    pub id: String,
    pub title: String,
}

/// One principal's entry on the model: its level before and after the write (`None`: it had, or
/// has, no entry: `undo` takes an entry out that way). Levels are the vendor's own words
/// (Sisense: `r` USE, `a` READ, `w` EDIT).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataModelEntry {
    pub key: ShareKey,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The entries a write gives on one model: the rest of the model's entries are kept as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataModelChange {
    pub model: DataModelRef,
    pub entries: Vec<DataModelEntry>,
}
