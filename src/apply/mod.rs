//! `apply` and `diff`: the shares a file declares, planned per dashboard and carried out in bulk.

mod columns;
mod connected;
pub mod desired;
pub mod execute;
pub mod exported;
pub mod failed_rows;
mod guard;
pub mod input;
pub mod interrupted;
mod lf_lines;
mod lookups;
mod results;
pub mod saved_plan;
pub mod shown;
pub mod verify;

pub use input::{FAILED_ROWS_MARK, formula_safe};
