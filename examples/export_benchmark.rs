//! How many requests and how long `export` takes on a big server (issue 13's target: 2,000
//! Sisense dashboards at 20 ms per answer in well under 2,000 requests), against the embedded
//! sandbox. Every bulk dashboard is shared with two of the five users and, every third one, a
//! group. Sisense (an admin) reads every dashboard's shares from one listing; ECI, whose listing
//! does not carry them, is measured beside it reading each dashboard.
//!
//! Run: `cargo run --release --example export_benchmark` (add `-- --help` for the knobs).

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
    /// Bulk dashboards per vendor
    #[arg(long, default_value_t = 2000)]
    dashboards: usize,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let dir = tempfile::tempdir().unwrap();
    let mut world = World::seeded();
    world.add_bulk_dashboards(args.dashboards);
    share_bulk(&mut world, args.dashboards);
    let sandbox = Sandbox::start(
        world,
        &SandboxOptions {
            latency: Duration::from_millis(args.latency_ms),
            ..SandboxOptions::default()
        },
    )
    .await
    .unwrap();
    // Secrets from files, so that nothing is set in this process's environment.
    let config = sandbox.write_config(dir.path()).unwrap();

    println!(
        "export of {} bulk dashboards per vendor, {} ms per answer:",
        args.dashboards, args.latency_ms
    );
    let mut ok = true;
    for vendor in [Vendor::Sisense, Vendor::Eci] {
        let out = dir.path().join(format!("{vendor}.yaml"));
        let before = sandbox.requests(vendor).len();
        let started = Instant::now();
        let cli = Cli::parse_from([
            "dashshare",
            "-q",
            "--config",
            config.to_str().unwrap(),
            "-p",
            &Sandbox::profile_name(vendor),
            "export",
            "--out",
            out.to_str().unwrap(),
        ]);
        dashshare::commands::run(cli).await.unwrap();
        let elapsed = started.elapsed();
        let requests = sandbox.requests(vendor).len() - before;
        let entries = std::fs::read_to_string(&out)
            .unwrap()
            .matches("- dashboard:")
            .count();
        println!(
            "  {:<8} {requests:>5} requests, {:>6.2} s, {entries} entries written",
            vendor.to_string(),
            elapsed.as_secs_f64()
        );
        if vendor == Vendor::Sisense {
            let well_under = requests < args.dashboards / 10;
            ok &= well_under;
            println!(
                "           target: well under {} requests: {}",
                args.dashboards,
                if well_under { "met" } else { "NOT MET" }
            );
        }
    }
    if !ok {
        std::process::exit(1);
    }
}

/// Shares each bulk dashboard with two users (view) and every third with Marketing (edit).
fn share_bulk(world: &mut World, count: usize) {
    let users: Vec<String> = world
        .sisense
        .users
        .iter()
        .filter(|u| !u.email.starts_with("admin"))
        .map(|u| u.id.clone())
        .collect();
    let group = world
        .sisense
        .groups
        .iter()
        .find(|g| g.name == "Marketing")
        .map(|g| g.id.clone());
    let eci_users: Vec<i64> = world.eci.users.iter().map(|u| u.user_id).collect();
    for (n, dashboard) in world
        .sisense
        .dashboards
        .iter_mut()
        .rev()
        .take(count)
        .enumerate()
    {
        for user in [&users[n % users.len()], &users[(n + 1) % users.len()]] {
            dashboard
                .shares
                .push(json!({"shareId": user, "type": "user", "rule": "view", "subscribe": false}));
        }
        if let (0, Some(group)) = (n % 3, &group) {
            dashboard.shares.push(
                json!({"shareId": group, "type": "group", "rule": "edit", "subscribe": false}),
            );
        }
    }
    for (n, dashboard) in world
        .eci
        .dashboards
        .iter_mut()
        .rev()
        .take(count)
        .enumerate()
    {
        dashboard
            .shared_user_ids
            .insert(eci_users[n % eci_users.len()]);
    }
}
