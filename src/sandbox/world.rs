//! Everything the emulated vendors hold: users, groups, dashboards, shares and links. It is what
//! `--seed FILE` provides and what `--state FILE` keeps across restarts (the same JSON shape).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct World {
    pub sisense: SisenseWorld,
    pub eci: EciWorld,
    pub vizzly: VizzlyWorld,
    pub appviewx: AppViewXWorld,
    pub mindzie: MindzieWorld,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Account {
    pub username: String,
    pub password: String,
}

pub use super::appviewx::world::{AppViewXShares, AppViewXWorld};
pub use super::eci::world::{EciDashboard, EciGroup, EciUser, EciWorld};
pub use super::mindzie::world::{MindzieDashboard, MindzieWorld};
pub use super::sisense::world::{SisenseDashboard, SisenseGroup, SisenseUser, SisenseWorld};
pub use super::vizzly::world::{VizzlyPermission, VizzlyWorld};

impl World {
    /// Sample data for every vendor, with the awkward cases real data has: names with spaces, `+`
    /// and `'`, two Sisense dashboards with the same title, an owner entry without a rule, a Sisense
    /// dashboard owned by someone other than the admin.
    pub fn seeded() -> World {
        World {
            sisense: SisenseWorld::seeded(),
            eci: EciWorld::seeded(),
            vizzly: VizzlyWorld::seeded(),
            appviewx: AppViewXWorld::seeded(),
            mindzie: MindzieWorld::seeded(),
        }
    }

    /// Adds `count` more dashboards to every vendor that has a dashboard list, for load tests.
    /// Each Sisense one is owned by the admin and shared with nobody else.
    pub fn add_bulk_dashboards(&mut self, count: usize) {
        self.sisense.add_bulk_dashboards(count);
        self.eci.add_bulk_dashboards(count);
        self.appviewx.add_bulk_dashboards(count);
        self.mindzie.add_bulk_dashboards(count);
    }
}
