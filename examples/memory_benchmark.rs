//! How much memory `export` and `report` hold against the size of the answers they read (issue
//! 24's bound: about 3× the largest single answer plus a constant, never the sum of them all).
//! The sandbox serves Sisense dashboards whose share entries carry bulky extra fields (as real
//! servers' entries do: names, emails, profile data), in listing pages of 50; the real binary
//! runs as a child process and its peak resident memory is read from the kernel (`wait4`).
//!
//! The binary is started by a small launcher (this example again, `--peak-of`), not by the process
//! that holds the sandbox: a child spawned the vfork way (as `std::process::Command` does) shares
//! its parent's memory until it execs, and Linux carries that memory's high-water mark into the
//! child's peak, so measured straight from here every run would report the sandbox's size.
//!
//! Run: `cargo build --release && cargo run --release --example memory_benchmark`
//! (add `-- --help` for the knobs).

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use clap::Parser;
use dashshare::sandbox::{Sandbox, SandboxOptions, World};
use dashshare::vendor::Vendor;
use serde_json::json;

#[derive(Parser)]
struct Args {
    /// Sizes of all the answers together to measure, in MiB
    #[arg(long, value_delimiter = ',', default_values_t = [15, 30, 60])]
    mib: Vec<usize>,
    /// Share entries per dashboard
    #[arg(long, default_value_t = 6)]
    entries: usize,
    /// Bytes of extra fields per share entry
    #[arg(long, default_value_t = 2048)]
    pad: usize,
}

fn binary() -> PathBuf {
    // target/release/examples/memory_benchmark → target/release/dashshare
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|d| d.parent()).unwrap();
    let binary = dir.join("dashshare");
    assert!(
        binary.exists(),
        "{} is missing: run `cargo build --release` first",
        binary.display()
    );
    binary
}

/// Runs `command` to its end; its peak resident memory in bytes, as the kernel counted it.
fn peak_of(mut command: Command) -> u64 {
    // Waited for by wait4 below, which also tells its resource use.
    #[allow(clippy::zombie_processes)]
    let child = command.spawn().unwrap();
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 writes the status and the struct it is given, for our own child.
    let waited = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert!(waited > 0 && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0);
    // Linux reports kilobytes.
    usage.ru_maxrss as u64 * 1024
}

/// The launcher: `--peak-of FILE PROGRAM ARGS…` runs the program and writes its peak to FILE.
/// A fresh process of a few MiB, so the program's peak is its own (see the top of this file).
fn launcher() -> Option<()> {
    let mut args = std::env::args_os().skip(1);
    if args.next()? != "--peak-of" {
        return None;
    }
    let file = args.next().unwrap();
    let mut command = Command::new(args.next().unwrap());
    command.args(args);
    std::fs::write(file, peak_of(command).to_string()).unwrap();
    Some(())
}

#[tokio::main]
async fn main() {
    if launcher().is_some() {
        return;
    }
    let args = Args::parse();
    let binary = binary();
    println!(
        "peak memory of the dashshare process against the answers it reads \
         (Sisense, pages of 50 dashboards, {} entries of {} bytes each):",
        args.entries, args.pad
    );
    println!(
        "  {:>8} {:>11} {:>13} {:>10} {:>9}  command",
        "answers", "largest", "peak memory", "× largest", "seconds"
    );
    let mut ok = true;
    for mib in &args.mib {
        let per_dashboard = args.entries * (args.pad + 80);
        let dashboards = mib * 1024 * 1024 / per_dashboard;
        let mut world = World::seeded();
        world.add_bulk_dashboards(dashboards);
        let user = world.sisense.users[1].id.clone();
        let pad = "x".repeat(args.pad);
        for dashboard in world.sisense.dashboards.iter_mut().rev().take(dashboards) {
            for n in 0..args.entries {
                dashboard.shares.push(json!({
                    "shareId": if n == 0 { user.clone() } else { format!("{:024x}", n) },
                    "type": if n == 0 { "user" } else { "tenant" },
                    "rule": "view",
                    "subscribe": false,
                    "profile": pad,
                }));
            }
        }
        let total = mib * 1024 * 1024;
        let largest = 50 * per_dashboard;
        let sandbox = Sandbox::start(world, &SandboxOptions::default())
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let config = sandbox.write_config(dir.path()).unwrap();
        let profile = Sandbox::profile_name(Vendor::Sisense);
        for command in [
            vec!["export", "--out", "shares.yaml"],
            vec!["report", "--format", "csv", "--out", "report.csv"],
        ] {
            let started = Instant::now();
            let binary = binary.clone();
            let config = config.clone();
            let home = dir.path().to_path_buf();
            let profile = profile.clone();
            let args: Vec<String> = command.iter().map(|s| s.to_string()).collect();
            let peak = tokio::task::spawn_blocking(move || {
                let told = home.join("peak");
                let mut command = Command::new(std::env::current_exe().unwrap());
                command.arg("--peak-of").arg(&told);
                // WRAP="valgrind --tool=massif" runs the binary under a profiler.
                let wrap = std::env::var("WRAP").unwrap_or_default();
                command.args(wrap.split_whitespace()).arg(&binary);
                command
                    .env_clear()
                    .env("HOME", &home)
                    .env("XDG_STATE_HOME", home.join("state"))
                    .envs(std::env::var("MALLOC_ARENA_MAX").map(|v| ("MALLOC_ARENA_MAX", v)))
                    .current_dir(&home)
                    .args(["-q", "--config", config.to_str().unwrap(), "-p", &profile])
                    .args(&args);
                let status = command.status().unwrap();
                assert!(status.success(), "{status}");
                std::fs::read_to_string(&told)
                    .unwrap()
                    .parse::<u64>()
                    .unwrap()
            })
            .await
            .unwrap();
            let times = peak as f64 / largest as f64;
            println!(
                "  {:>5} MiB {:>7.1} MiB {:>9.1} MiB {:>9.1}× {:>9.2}  {}",
                mib,
                largest as f64 / 1048576.0,
                peak as f64 / 1048576.0,
                times,
                started.elapsed().as_secs_f64(),
                command.join(" ")
            );
            // The bound: 3× the largest answer plus a constant for the process itself.
            ok &= peak < 3 * largest as u64 + (CONSTANT_MIB << 20);
        }
        let _ = total;
    }
    println!(
        "bound: 3 × the largest answer + {CONSTANT_MIB} MiB: {}",
        if ok { "met" } else { "NOT MET" }
    );
    if !ok {
        std::process::exit(1);
    }
}

/// The process's own memory beside what it reads: the binary, its runtime, TLS, buffers.
const CONSTANT_MIB: u64 = 64;
