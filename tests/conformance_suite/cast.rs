//! Conformance (helper): which dashboard and principals the suite uses on each vendor, read from
//! the emulator's seeded world rather than written out by hand.

use dashshare::sandbox::World;
use dashshare::vendor::Vendor;

/// The names the suite works with on one vendor.
#[derive(Debug, Clone)]
pub struct Cast {
    /// A dashboard that already has shares, and that the account may share.
    pub dashboard: String,
    /// A user the vendor knows who has no share of the dashboard yet.
    pub user: Option<String>,
    /// A group the vendor knows that has no share of the dashboard yet.
    pub group: Option<String>,
}

impl Cast {
    /// Taken from `world`, as the emulator of `vendor` holds it. Every vendor has an arm, so a
    /// new vendor cannot compile without saying where its suite runs.
    pub fn of(vendor: Vendor, world: &World) -> Cast {
        match vendor {
            Vendor::Sisense => sisense(world),
            Vendor::Eci => eci(world),
            Vendor::Vizzly => vizzly(world),
            Vendor::Appviewx => appviewx(world),
            Vendor::Mindzie => mindzie(world),
        }
    }
}

fn sisense(world: &World) -> Cast {
    let sisense = &world.sisense;
    let admin = sisense.admin_user().map(|user| user.id.as_str());
    // The admin's own dashboard: another owner's is a case of its own (e2e_sandbox.rs).
    let dashboard = sisense
        .dashboards
        .iter()
        .find(|d| Some(d.owner.as_str()) == admin && d.shares.len() > 1)
        .expect("the seeded world has a shared Sisense dashboard the admin owns");
    let shared: Vec<&str> = dashboard
        .shares
        .iter()
        .filter_map(|share| share["shareId"].as_str())
        .collect();
    Cast {
        dashboard: dashboard.oid.clone(),
        user: sisense
            .users
            .iter()
            .find(|user| !shared.contains(&user.id.as_str()) && Some(user.id.as_str()) != admin)
            .map(|user| user.email.clone()),
        group: sisense
            .groups
            .iter()
            .find(|group| !shared.contains(&group.id.as_str()))
            .map(|group| group.name.clone()),
    }
}

fn eci(world: &World) -> Cast {
    let eci = &world.eci;
    let dashboard = eci
        .dashboards
        .iter()
        .find(|d| !d.shared_user_ids.is_empty())
        .expect("the seeded world has a shared ECI dashboard");
    Cast {
        dashboard: dashboard.dashboard_id.to_string(),
        user: eci
            .users
            .iter()
            .find(|user| !dashboard.shared_user_ids.contains(&user.user_id))
            .map(|user| user.email.clone()),
        group: eci
            .groups
            .iter()
            .find(|group| {
                !dashboard
                    .shared_user_group_ids
                    .contains(&group.user_group_id)
            })
            .map(|group| group.user_group_name.clone()),
    }
}

fn vizzly(world: &World) -> Cast {
    let permissions = &world.vizzly.permissions;
    let dashboard = permissions
        .first()
        .expect("the seeded world has a Vizzly permission")
        .dashboard_id
        .clone();
    // Vizzly keeps no users: a reference is whatever the customer's identity logic issued, so
    // any reference without a permission is a user the dashboard is not shared with.
    let user = (1..)
        .map(|n| format!("conformance-user-{n}"))
        .find(|reference| !permissions.iter().any(|p| &p.user_reference == reference));
    Cast {
        dashboard,
        user,
        group: None,
    }
}

fn appviewx(world: &World) -> Cast {
    let appviewx = &world.appviewx;
    let (name, shares) = appviewx
        .dashboards
        .iter()
        .find(|(name, shares)| {
            let shared =
                !shares.read_user_groups.is_empty() || !shares.read_write_user_groups.is_empty();
            shared && !appviewx.locked.contains(*name)
        })
        .expect("the seeded world has a shared AppViewX dashboard the account may share");
    Cast {
        dashboard: name.clone(),
        user: None,
        group: appviewx
            .groups
            .iter()
            .find(|group| {
                !shares.read_user_groups.contains(group)
                    && !shares.read_write_user_groups.contains(group)
            })
            .cloned(),
    }
}

fn mindzie(world: &World) -> Cast {
    Cast {
        dashboard: world
            .mindzie
            .dashboards
            .first()
            .expect("the seeded world has a mindzie dashboard")
            .dashboard_id
            .clone(),
        user: None,
        group: None,
    }
}
