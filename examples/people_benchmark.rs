//! How many requests and how long `access` and `offboard` of one user take on a big Sisense
//! server (issue 26: 2,000 dashboards at 20 ms per answer), against the embedded sandbox. Every
//! tenth bulk dashboard is shared with bob. An admin account reads every dashboard's shares from
//! the paged admin listing; `offboard` then reads again, writes and publishes only the dashboards
//! it changes. Beside each: the limit (login, look-up, listing pages, and for offboard three
//! requests per dashboard changed) and what reading each dashboard on its own would cost.
//!
//! Run: `cargo run --release --example people_benchmark` (add `-- --help` for the knobs).

use std::time::{Duration, Instant};

use clap::Parser;
use dashshare::cli::Cli;
use dashshare::sandbox::{Sandbox, SandboxOptions, World};
use dashshare::vendor::Vendor;
use serde_json::json;

#[derive(Parser)]
struct Args {
    /// Delay of every sandbox answer
    #[arg(long, default_value_t = 20)]
    latency_ms: u64,
    /// Bulk Sisense dashboards
    #[arg(long, default_value_t = 2000)]
    dashboards: usize,
}

/// The rows the sandbox answers per listing page (`sandbox::sisense::PAGE_CAP`).
const PAGE: usize = 50;

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let dir = tempfile::tempdir().unwrap();
    let mut world = World::seeded();
    world.add_bulk_dashboards(args.dashboards);
    let bob = (world.sisense.users.iter())
        .find(|u| u.email == "bob@example.com")
        .map(|u| u.id.clone())
        .unwrap();
    let mut shared = 0;
    for dashboard in world
        .sisense
        .dashboards
        .iter_mut()
        .rev()
        .take(args.dashboards)
        .step_by(10)
    {
        dashboard
            .shares
            .push(json!({"shareId": bob, "type": "user", "rule": "view", "subscribe": false}));
        shared += 1;
    }
    let sandbox = Sandbox::start(
        world,
        &SandboxOptions {
            latency: Duration::from_millis(args.latency_ms),
            ..SandboxOptions::default()
        },
    )
    .await
    .unwrap();
    let config = sandbox.write_config(dir.path()).unwrap();
    let journal = dir.path().join("journal.jsonl");
    let total = args.dashboards + 4;
    // Pages are read until one comes back empty.
    let pages = total.div_ceil(PAGE) + 1;
    println!(
        "one user on {total} Sisense dashboards ({shared} bulk ones shared with bob), {} ms per \
         answer:",
        args.latency_ms
    );
    let mut ok = true;
    for (what, command, limit) in [
        (
            "access",
            &["access", "--user", "bob@example.com"][..],
            3 + pages,
        ),
        (
            "offboard",
            &["offboard", "--user", "bob@example.com", "--yes"][..],
            3 + pages + 3 * (shared + 2),
        ),
    ] {
        let before = sandbox.requests(Vendor::Sisense).len();
        let started = Instant::now();
        let mut line = vec![
            "dashshare",
            "-q",
            "--config",
            config.to_str().unwrap(),
            "--journal",
            journal.to_str().unwrap(),
            "-p",
            "sandbox-sisense",
        ];
        line.extend_from_slice(command);
        dashshare::commands::run(Cli::parse_from(line))
            .await
            .unwrap();
        let elapsed = started.elapsed();
        let requests = sandbox.requests(Vendor::Sisense).len() - before;
        let within = requests <= limit;
        ok &= within;
        println!(
            "  {what:<9} {requests:>5} requests, {:>6.2} s; limit {limit} (login, look-up, the \
             Everyone group, {pages} listing pages{}): {}; reading each dashboard instead: \
             {total}+ requests",
            elapsed.as_secs_f64(),
            if what == "offboard" {
                ", read + write + publish per dashboard changed"
            } else {
                ""
            },
            if within { "met" } else { "NOT MET" },
        );
    }
    if !ok {
        std::process::exit(1);
    }
}
