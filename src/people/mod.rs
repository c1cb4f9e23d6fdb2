//! What starts from a person rather than a dashboard: the shares that reach a user or group
//! across profiles (`access`), and taking a leaver's away everywhere (`offboard`).

pub mod offboard;
pub mod reach;
