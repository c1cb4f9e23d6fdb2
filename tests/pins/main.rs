//! Test binary: the request pins of each vendor, the shared client, conformance, properties,
//! the emulators' fidelity and the binary's flags, one module per file, built and linked once.

#[path = "../common/mod.rs"]
mod common;

mod apply_api;
mod appviewx_api;
mod cli;
mod conformance;
mod eci_api;
mod http_client;
mod mindzie_api;
mod plan_properties;
mod readers_never_panic;
mod sandbox_fidelity;
mod sisense_api;
mod sisense_page_example;
mod vizzly_api;
