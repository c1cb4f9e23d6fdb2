//! The parts of the emulated vendors' `World` (defined in `sandbox/mod.rs`, beside the table of
//! emulators and the account they share, so that a vendor joins the sandbox in one file), named
//! in one place for callers.

pub use super::appviewx::world::{AppViewXShares, AppViewXWorld};
pub use super::eci::world::{EciDashboard, EciGroup, EciUser, EciWorld};
pub use super::mindzie::world::{MindzieDashboard, MindzieWorld};
pub use super::sisense::world::{SisenseDashboard, SisenseGroup, SisenseUser, SisenseWorld};
pub use super::vizzly::world::{VizzlyPermission, VizzlyWorld};
pub use super::{Account, World};
