//! What a big journal costs the commands that read it before they write: every writing run reads
//! the ends in force (`ShareEnds::read`, which parses only the lines of dashboards ever given an
//! end), while `history` and `undo` parse every line (`Journal::entries`). The journal is synthetic: one written line per dashboard
//! write, each with a share set of `--shares` users before and after.
//!
//! Run: `cargo run --release --example journal_benchmark` (add `-- --help` for the knobs).

use std::io::Write;
use std::time::Instant;

use clap::Parser;
use dashshare::journal::{Entry, EntryKind, Journal};
use dashshare::model::ends::{End, Ends};
use dashshare::model::{Access, Dashboard, Level, PrincipalKind, Share, ShareKey, ShareSet};
use dashshare::share_ends::ShareEnds;
use dashshare::vendor::Vendor;

#[derive(Parser)]
struct Args {
    /// Dashboard writes in the journal
    #[arg(long, default_value_t = 50_000)]
    writes: usize,
    /// Shares on each dashboard
    #[arg(long, default_value_t = 50)]
    shares: usize,
}

fn main() {
    let args = Args::parse();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let shares = ShareSet::new((0..args.shares).map(|user| Share {
        key: ShareKey::new(PrincipalKind::User, format!("user-{user:05}")),
        level: Level::Access(Access::View),
    }));
    let line = |write: usize, ends: Ends| Entry {
        run_id: format!("20261130T000000Z-{:016x}", write / 100),
        time: "2026-11-30T00:00:00Z".into(),
        command: "apply shares.yaml".into(),
        profile: "prod".into(),
        vendor: Vendor::Sisense,
        url: "https://bi.example.com/".into(),
        dashboard: Dashboard {
            id: format!("dashboard-{write:06}"),
            title: None,
        },
        before: Some(shares.clone()),
        after: shares.clone(),
        kind: EntryKind::Written,
        error: None,
        ends: Some(ends),
        data_model: None,
        legacy: Default::default(),
    };
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for write in 0..args.writes {
        serde_json::to_writer(&mut file, &line(write, Ends::default())).unwrap();
        file.write_all(b"\n").unwrap();
    }
    file.flush().unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    let journal = Journal::locate(Some(&path)).unwrap();
    println!(
        "journal: {} writes of {} shares, {:.0} MB",
        args.writes,
        args.shares,
        size as f64 / 1e6
    );

    let timed = |what: &str, run: &dyn Fn()| {
        let start = Instant::now();
        run();
        println!("{what}: {:.2} s", start.elapsed().as_secs_f64());
    };
    timed("ends, no timed grant ever (every writing run)", &|| {
        ShareEnds::read(&journal).unwrap();
    });
    let timed_grant: Ends = [End {
        key: ShareKey::new(PrincipalKind::User, "user-00000"),
        at: "2099-01-01T00:00:00Z".parse().unwrap(),
        level: Level::Access(Access::View),
        back_to: None,
    }]
    .into_iter()
    .collect();
    serde_json::to_writer(&mut file, &line(0, timed_grant)).unwrap();
    file.write_all(b"\n").unwrap();
    file.flush().unwrap();
    drop(file);
    timed("ends, one timed grant (every writing run)", &|| {
        ShareEnds::read(&journal).unwrap();
    });
    timed("every line (history, undo)", &|| {
        journal.entries().unwrap();
    });
}
