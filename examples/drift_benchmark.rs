//! How many requests and how long a nightly drift check and a re-apply take on a big Sisense
//! server (issue 27: 2,000 dashboards at 20 ms per answer), against the embedded sandbox: an
//! export, then `diff --prune --exit-code` and an `apply` that changes nothing, both planned from
//! the paged admin listing; then 20 dashboards changed by hand and `apply` again, which reads
//! again and writes only those. Beside each: the limit, and what one read per dashboard costs.
//!
//! Run: `cargo run --release --example drift_benchmark` (add `-- --help` for the knobs).

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
    /// Bulk Sisense dashboards, each shared with bob
    #[arg(long, default_value_t = 2000)]
    dashboards: usize,
    /// Dashboards changed by hand before the last apply
    #[arg(long, default_value_t = 20)]
    changed: usize,
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
    for d in world
        .sisense
        .dashboards
        .iter_mut()
        .rev()
        .take(args.dashboards)
    {
        d.shares
            .push(json!({"shareId": bob, "type": "user", "rule": "view", "subscribe": false}));
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
    let file = dir.path().join("shares.yaml");
    let run = |command: Vec<&str>| {
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
        line.extend(command);
        dashshare::commands::run(Cli::parse_from(line))
    };
    run(vec!["export", "--out", file.to_str().unwrap()])
        .await
        .unwrap();
    // Borrowed by every measured command line until the end of the program.
    let file: &'static str = Box::leak(file.to_str().unwrap().to_string().into_boxed_str());
    let total = args.dashboards + 4;
    // Pages are read until one comes back empty.
    let pages = total.div_ceil(PAGE) + 1;
    println!(
        "{total} Sisense dashboards in the file, {} ms per answer (one read per dashboard would \
         be {total} reads before any write):",
        args.latency_ms
    );
    let count = |prefix: &str| {
        (sandbox.requests(Vendor::Sisense).iter())
            .filter(|r| r.starts_with(prefix))
            .count()
    };
    let measure = |what: &'static str, command: Vec<&'static str>| {
        let run = &run;
        let count = &count;
        async move {
            let (requests, reads, writes) = (
                count(""),
                count("GET /api/shares"),
                count("POST /api/shares"),
            );
            let started = Instant::now();
            let result = run(command).await;
            let elapsed = started.elapsed().as_secs_f64();
            let (requests, reads, writes) = (
                count("") - requests,
                count("GET /api/shares") - reads,
                count("POST /api/shares") - writes,
            );
            println!(
                "  {what:<26} {requests:>5} requests ({reads} dashboard reads, {writes} writes), \
                 {elapsed:>5.2} s{}",
                if result.is_ok() {
                    ""
                } else {
                    ", exit non-zero"
                }
            );
            requests
        }
    };
    let diff = vec!["diff", file, "--prune", "--exit-code"];
    let made = measure("diff --prune --exit-code", diff.clone()).await;
    let noop = measure("apply (nothing to change)", vec!["apply", file]).await;
    // Login, the principals' look-ups (one each, as many as the file names) and the listing's pages.
    println!("  limit: login + look-ups + the Everyone group + {pages} listing pages");
    sandbox.edit_world(|world| {
        for d in (world.sisense.dashboards.iter_mut().rev()).take(args.changed) {
            d.shares.retain(|s| s["shareId"] != bob.as_str());
        }
    });
    measure("diff, after the changes", diff).await;
    measure("apply, after the changes", vec!["apply", file]).await;
    let ok = made < total / 10 && noop < total / 10;
    println!(
        "  target: well under one read per dashboard: {}",
        if ok { "met" } else { "NOT MET" }
    );
    if !ok {
        std::process::exit(1);
    }
}
