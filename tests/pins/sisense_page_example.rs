//! Emulator fidelity: a vendor's own example program run against the sandbox.
//!
//! The Python example of shared/vendor-docs/sisense.txt, run against the sandbox: a check that
//! the emulator behaves like the real server, not like dashshare. It needs python3 with `requests`
//! (`.ci/run` installs it).

use std::process::{Command, Output};

use dashshare::sandbox::{Sandbox, SandboxOptions, World};
use dashshare::vendor::Vendor;

const DASHBOARD: &str = "5829b46bd009e91420000047";

fn run_page_script(sandbox: &Sandbox, password: &str, which: &str, extra: (&str, &str)) -> Output {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/sisense_page_example.py"
    );
    let output = Command::new("python3")
        .arg(script)
        .arg(which)
        .env("SISENSE_URL", sandbox.url(Vendor::Sisense))
        .env("SISENSE_ADMIN", sandbox.world().sisense.admin.username)
        .env("SISENSE_PASSWORD", password)
        .env("SISENSE_DASHBOARD", DASHBOARD)
        .env(extra.0, extra.1)
        .output()
        .expect("python3 is needed for this test (with `pip install requests`)");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("No module named 'requests'"),
        "this test needs the Python package requests: pip install requests"
    );
    output
}

fn shares(sandbox: &Sandbox) -> Vec<serde_json::Value> {
    sandbox.world().sisense.dashboards[0].shares.clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pages_user_script_shares_and_publishes() {
    let sandbox = Sandbox::start(World::seeded(), &SandboxOptions::default())
        .await
        .unwrap();
    // The page only encodes '@', so its own password must have no other special character.
    sandbox.edit_world(|world| world.sisense.admin.password = "Sisense".into());
    let before = shares(&sandbox);
    let output = tokio::task::block_in_place(|| {
        run_page_script(&sandbox, "Sisense", "user", ("SISENSE_NEW_USER", "alice"))
    });
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("PATCH 200") && stdout.contains("Done!"),
        "{stdout}"
    );
    let after = shares(&sandbox);
    assert_eq!(&after[..before.len()], &before[..]);
    assert_eq!(after[before.len()]["shareId"], "5f0000000000000000000002");
    assert_eq!(after[before.len()]["rule"], "edit");
    assert_eq!(sandbox.world().sisense.published[DASHBOARD], 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pages_group_script_sends_a_duplicate_and_is_refused() {
    let sandbox = Sandbox::start(World::seeded(), &SandboxOptions::default())
        .await
        .unwrap();
    sandbox.edit_world(|world| world.sisense.admin.password = "Sisense".into());
    let before = shares(&sandbox);
    let output = tokio::task::block_in_place(|| {
        run_page_script(
            &sandbox,
            "Sisense",
            "group",
            ("SISENSE_NEW_GROUP", "Marketing"),
        )
    });
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("PATCH 400"),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        shares(&sandbox),
        before,
        "a refused PATCH changed the shares"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pages_login_breaks_on_a_password_with_a_plus() {
    let sandbox = Sandbox::start(World::seeded(), &SandboxOptions::default())
        .await
        .unwrap();
    let password = sandbox.world().sisense.admin.password;
    assert!(password.contains('+') && password.contains('&'));
    let output = tokio::task::block_in_place(|| {
        run_page_script(&sandbox, &password, "user", ("SISENSE_NEW_USER", "alice"))
    });
    assert!(
        !output.status.success(),
        "the page's hand-made form body should not log in"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("access_token"));
}
