//! Test binary: every end-to-end run (the real binary against the embedded sandbox or a
//! wiremock server), one module per file, built and linked once rather than once per file.

#[path = "../common/mod.rs"]
mod common;

mod e2e_apply;
mod e2e_apply_verify;
mod e2e_check_deep;
mod e2e_ci_examples;
mod e2e_cli_manners;
mod e2e_closed_pipes;
mod e2e_config;
mod e2e_confirm;
mod e2e_conformance;
mod e2e_crash_undo;
mod e2e_demo;
mod e2e_eci;
mod e2e_expire;
mod e2e_export;
mod e2e_interrupt;
mod e2e_journal_undo;
mod e2e_people;
mod e2e_report;
mod e2e_run_lock;
mod e2e_sandbox;
mod e2e_saved_plan;
mod e2e_script;
mod e2e_secrets_at_the_edge;
mod e2e_sisense;
mod e2e_terminal_manners;
mod e2e_terminal_safety;
mod e2e_token_renewal;
mod e2e_undo_unanswered;
mod e2e_vendors;
