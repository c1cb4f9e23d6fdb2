//! A profile's part of an apply file joined to the provider that reaches its server: what the
//! lookups, the run and its results all work over.

use super::desired::Site;
use crate::providers::ShareProvider;

/// A profile's dashboards and the provider that reaches them.
pub struct Connected {
    pub site: Site,
    pub provider: Box<dyn ShareProvider>,
}
