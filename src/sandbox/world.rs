//! The parts of the emulated vendors' `World` (defined in `sandbox/mod.rs`, beside the table of
//! emulators, so that a vendor joins the sandbox in one file), and the account they share.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Account {
    pub username: String,
    pub password: String,
}

pub use super::World;
pub use super::appviewx::world::{AppViewXShares, AppViewXWorld};
pub use super::eci::world::{EciDashboard, EciGroup, EciUser, EciWorld};
pub use super::mindzie::world::{MindzieDashboard, MindzieWorld};
pub use super::sisense::world::{SisenseDashboard, SisenseGroup, SisenseUser, SisenseWorld};
pub use super::vizzly::world::{VizzlyPermission, VizzlyWorld};
