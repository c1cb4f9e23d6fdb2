//! End to end: the binary against the sandbox whose tokens expire mid-run.
//!
//! Sessions that expire in the middle of a bulk run are renewed, once for all the requests that
//! found them expired, and the run carries on: only credentials the server refuses end it (issue 11).

use dashshare::sandbox::{SandboxOptions, World};
use dashshare::vendor::Vendor;

use crate::common::SandboxHome;

const DASHBOARDS: usize = 60;
const USER: &str = "alice@example.com";
const ALICE_ID: &str = "5f0000000000000000000002";

/// A sandbox whose Sisense tokens each serve three requests, and a file sharing 60 dashboards.
async fn short_lived_sessions() -> (SandboxHome, std::path::PathBuf) {
    let mut world = World::seeded();
    world.add_bulk_dashboards(DASHBOARDS);
    let options = SandboxOptions {
        token_ttl: Some(3),
        ..SandboxOptions::default()
    };
    let run = SandboxHome::with_world(world, options).await;
    let mut csv = String::from("profile,dashboard,principal,access\n");
    for n in 0..DASHBOARDS {
        csv.push_str(&format!(
            "sandbox-sisense,name:Bulk {n:05},user:{USER},view\n"
        ));
    }
    let file = run.home.path().join("shares.csv");
    std::fs::write(&file, csv).unwrap();
    (run, file)
}

fn shared_with_alice(world: &World) -> usize {
    world
        .sisense
        .dashboards
        .iter()
        .filter(|d| d.title.starts_with("Bulk "))
        .filter(|d| d.shares.iter().any(|s| s["shareId"] == ALICE_ID))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bulk_run_outlives_many_expired_sessions_at_full_concurrency() {
    let (run, file) = short_lived_sessions().await;
    let file = file.to_string_lossy().into_owned();
    run.run("sandbox-sisense", &["apply", &file, "--concurrency", "16"])
        .await
        .success();
    assert_eq!(shared_with_alice(&run.world()), DASHBOARDS);
    // Each login serves three requests at most; a login per request (or per 401) would be far more.
    let logins = run.count(Vendor::Sisense, "POST /api/v1/authentication/login");
    let requests = run.sandbox.requests(Vendor::Sisense).len();
    assert!(
        logins * 2 <= requests,
        "{logins} logins for {requests} requests"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_the_server_refuses_still_end_the_run_with_exit_3() {
    let (run, file) = short_lived_sessions().await;
    let file = file.to_string_lossy().into_owned();
    run.run_with(
        "sandbox-sisense",
        &[("SANDBOX_SISENSE_PASSWORD", "not-the-password")],
        &["apply", &file, "--concurrency", "16"],
    )
    .await
    .code(3);
    assert_eq!(
        run.count(Vendor::Sisense, "POST /api/v1/authentication/login"),
        1,
        "a refused login is not tried again"
    );
}
