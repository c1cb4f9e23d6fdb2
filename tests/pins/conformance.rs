//! Conformance: the provider suite (`conformance_suite/`), one line per vendor, on its emulator.
//!
//! Every provider runs the same scenarios over `&dyn ShareProvider` against its emulator in the
//! sandbox: grant, re-grant unchanged, upgrade, revoke, list, unknown principal, an answer not
//! understood, each as far as the vendor's capabilities allow. A new vendor joins with one line
//! in `vendors!` below; the names its suite uses come from its emulator (`sandbox::Cast`).

#[path = "conformance_suite/mod.rs"]
mod conformance_suite;

use conformance_suite::{Bench, Ran, run_all};
use dashshare::vendor::Vendor;

macro_rules! vendors {
    ($($name:ident => $vendor:expr),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread")]
            async fn $name() {
                let (provider, bench) = Bench::start($vendor).await;
                let ran = run_all(&*provider, &bench).await;
                assert!(ran.iter().any(|(_, ran)| *ran == Ran::Yes));
            }
        )+

        const COVERED: &[Vendor] = &[$($vendor),+];
    };
}

vendors! {
    sisense => Vendor::Sisense,
    eci => Vendor::Eci,
    vizzly => Vendor::Vizzly,
    appviewx => Vendor::Appviewx,
    mindzie => Vendor::Mindzie,
}

#[test]
fn every_available_vendor_runs_the_suite() {
    for vendor in Vendor::ALL {
        if vendor.capabilities().available {
            assert!(
                COVERED.contains(&vendor),
                "{vendor} has no line in vendors!"
            );
        }
    }
}
