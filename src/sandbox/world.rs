//! Everything the emulated vendors hold: users, groups, dashboards, shares and links. It is what
//! `--seed FILE` provides and what `--state FILE` keeps across restarts (the same JSON shape).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct World {
    pub sisense: SisenseWorld,
    pub eci: EciWorld,
    pub vizzly: VizzlyWorld,
    pub appviewx: AppViewXWorld,
    pub mindzie: MindzieWorld,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SisenseWorld {
    pub admin: Account,
    pub users: Vec<SisenseUser>,
    pub groups: Vec<SisenseGroup>,
    pub dashboards: Vec<SisenseDashboard>,
    /// How often each dashboard was published.
    pub published: BTreeMap<String, u64>,
    /// Plays a Sisense version that rejects the `adminAccess` query parameter (422).
    pub reject_admin_access: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Account {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SisenseUser {
    #[serde(rename = "_id")]
    pub id: String,
    pub email: String,
    #[serde(rename = "userName")]
    pub user_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SisenseGroup {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SisenseDashboard {
    pub oid: String,
    pub title: String,
    pub owner: String,
    /// Kept as the vendor sends them: `{shareId, type, rule?, subscribe}`.
    pub shares: Vec<Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EciWorld {
    pub api_key: String,
    pub users: Vec<EciUser>,
    pub groups: Vec<EciGroup>,
    pub dashboards: Vec<EciDashboard>,
}

/// Named as EnergyCAP's UserResponse names them (EnergyCapSdk `models/user_response.py`); seeds
/// written with the earlier `systemUser…` names still load.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EciUser {
    #[serde(alias = "systemUserId")]
    pub user_id: i64,
    #[serde(alias = "systemUserCode")]
    pub user_code: String,
    pub full_name: String,
    pub email: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EciGroup {
    pub user_group_id: i64,
    pub user_group_name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EciDashboard {
    pub dashboard_id: i64,
    /// The title, as DashboardResponse names it (EnergyCapSdk `models/dashboard_response.py`).
    #[serde(alias = "dashboardDescription")]
    pub dashboard_info: String,
    #[serde(default)]
    pub shared_user_ids: BTreeSet<i64>,
    #[serde(default)]
    pub shared_user_group_ids: BTreeSet<i64>,
    #[serde(default)]
    pub shared_with_everyone: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct VizzlyWorld {
    pub api_key: String,
    pub permissions: BTreeSet<VizzlyPermission>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VizzlyPermission {
    pub dashboard_id: String,
    pub scope: String,
    pub user_reference: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AppViewXWorld {
    pub account: Account,
    /// Dashboard name → its group lists.
    pub dashboards: BTreeMap<String, AppViewXShares>,
    /// Dashboards the account may not share (answered ADC_DASH_0048).
    pub locked: BTreeSet<String>,
    pub groups: BTreeSet<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AppViewXShares {
    pub read_user_groups: Vec<String>,
    pub read_write_user_groups: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MindzieWorld {
    pub token: String,
    pub tenant_id: String,
    pub project_id: String,
    pub dashboards: Vec<MindzieDashboard>,
    /// Share id → the link, as the vendor answers it (with `accessControl`, which it never shows).
    pub links: BTreeMap<String, Value>,
    pub next_link: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MindzieDashboard {
    pub dashboard_id: String,
    pub name: String,
}

impl SisenseWorld {
    /// The user record of the account that logs in, if the world has one.
    pub fn admin_user(&self) -> Option<&SisenseUser> {
        self.users.iter().find(|u| u.email == self.admin.username)
    }
}

impl World {
    /// Sample data for every vendor, with the awkward cases real data has: names with spaces, `+`
    /// and `'`, two Sisense dashboards with the same title, an owner entry without a rule, a Sisense
    /// dashboard owned by someone other than the admin.
    pub fn seeded() -> World {
        let sisense_user = |id: &str, email: &str, name: &str| SisenseUser {
            id: id.into(),
            email: email.into(),
            user_name: name.into(),
        };
        let sisense = SisenseWorld {
            admin: Account {
                username: "admin@sandbox.example".into(),
                password: "Sandbox+pass&1%".into(),
            },
            users: vec![
                sisense_user(
                    "5f0000000000000000000001",
                    "admin@sandbox.example",
                    "admin@sandbox.example",
                ),
                sisense_user("5f0000000000000000000002", "alice@example.com", "alice"),
                sisense_user("5f0000000000000000000003", "bob@example.com", "bob"),
                sisense_user("5f0000000000000000000004", "carol+bi@example.com", "carol"),
                sisense_user(
                    "5f0000000000000000000005",
                    "dan.o'brien@example.com",
                    "dan.obrien",
                ),
                sisense_user("5f0000000000000000000006", "erin@example.com", "erin"),
            ],
            groups: vec![
                SisenseGroup {
                    id: "6a0000000000000000000001".into(),
                    name: "Marketing".into(),
                },
                SisenseGroup {
                    id: "6a0000000000000000000002".into(),
                    name: "Sales Team EMEA".into(),
                },
                SisenseGroup {
                    id: "6a0000000000000000000003".into(),
                    name: "R&D + Ops".into(),
                },
            ],
            dashboards: vec![
                SisenseDashboard {
                    oid: "5829b46bd009e91420000047".into(),
                    title: "Sales KPIs".into(),
                    owner: "5f0000000000000000000001".into(),
                    shares: vec![
                        json!({"shareId": "5f0000000000000000000001", "type": "user", "subscribe": true}),
                        json!({"shareId": "5f0000000000000000000003", "type": "user", "rule": "edit", "subscribe": true}),
                        json!({"shareId": "6a0000000000000000000001", "type": "group", "rule": "view", "subscribe": false}),
                    ],
                },
                SisenseDashboard {
                    oid: "5dc5c237832aeb53441186bb".into(),
                    title: "Quarterly Review".into(),
                    owner: "5f0000000000000000000001".into(),
                    shares: vec![
                        json!({"shareId": "5f0000000000000000000001", "type": "user", "subscribe": true}),
                    ],
                },
                SisenseDashboard {
                    oid: "5dc5c237832aeb53441186bc".into(),
                    title: "Quarterly Review".into(),
                    owner: "5f0000000000000000000001".into(),
                    shares: vec![
                        json!({"shareId": "5f0000000000000000000001", "type": "user", "subscribe": true}),
                    ],
                },
                // Owned by alice, not by the admin dashshare logs in as, and not shared with it:
                // the usual case of a bulk-share service account (NOTES.md Corrections).
                SisenseDashboard {
                    oid: "5e1d00000000000000000a01".into(),
                    title: "Regional Margins".into(),
                    owner: "5f0000000000000000000002".into(),
                    shares: vec![
                        json!({"shareId": "5f0000000000000000000002", "type": "user", "subscribe": true}),
                        json!({"shareId": "5f0000000000000000000003", "type": "user", "rule": "view", "subscribe": false}),
                        json!({"shareId": "6a0000000000000000000002", "type": "group", "rule": "edit", "subscribe": true}),
                    ],
                },
            ],
            published: BTreeMap::new(),
            reject_admin_access: false,
        };
        let eci_user = |id: i64, code: &str, name: &str, email: &str| EciUser {
            user_id: id,
            user_code: code.into(),
            full_name: name.into(),
            email: email.into(),
        };
        let eci = EciWorld {
            api_key: "sandbox-eci-key".into(),
            users: vec![
                eci_user(5, "BOB", "Bob Baker", "bob@example.com"),
                eci_user(11, "ALICE", "Alice Adams", "alice@example.com"),
                eci_user(12, "O'BRIEN", "Dan O'Brien", "dan.o'brien@example.com"),
            ],
            groups: vec![
                EciGroup {
                    user_group_id: 3,
                    user_group_name: "Facility Ops".into(),
                },
                EciGroup {
                    user_group_id: 21,
                    user_group_name: "Managers".into(),
                },
            ],
            dashboards: vec![
                EciDashboard {
                    dashboard_id: 7,
                    dashboard_info: "Energy Use".into(),
                    shared_user_ids: BTreeSet::from([5]),
                    shared_user_group_ids: BTreeSet::from([3]),
                    shared_with_everyone: false,
                },
                EciDashboard {
                    dashboard_id: 8,
                    dashboard_info: "Water + Gas".into(),
                    shared_user_ids: BTreeSet::new(),
                    shared_user_group_ids: BTreeSet::new(),
                    shared_with_everyone: false,
                },
            ],
        };
        let vizzly = VizzlyWorld {
            api_key: "vizzly_project_api_key_sandbox:::key".into(),
            permissions: BTreeSet::from([VizzlyPermission {
                dashboard_id: "dsh_0f3a".into(),
                scope: "read".into(),
                user_reference: "customer-1".into(),
            }]),
        };
        let appviewx = AppViewXWorld {
            account: Account {
                username: "svc-dashshare".into(),
                password: "Avx&Sandbox+1".into(),
            },
            dashboards: BTreeMap::from([
                (
                    "Ops Board".to_string(),
                    AppViewXShares {
                        read_user_groups: vec!["Auditors".into()],
                        read_write_user_groups: vec!["NOC Team".into()],
                    },
                ),
                ("Cert Expiry".to_string(), AppViewXShares::default()),
                ("Locked Board".to_string(), AppViewXShares::default()),
            ]),
            locked: BTreeSet::from(["Locked Board".to_string()]),
            groups: ["Auditors", "NOC Team", "SRE", "PKI Admins", "Cert Owners"]
                .into_iter()
                .map(str::to_string)
                .collect(),
        };
        let mindzie = MindzieWorld {
            token: "mindzie-sandbox-token".into(),
            tenant_id: "11111111-1111-4111-8111-111111111111".into(),
            project_id: "22222222-2222-4222-8222-222222222222".into(),
            dashboards: vec![
                MindzieDashboard {
                    dashboard_id: "550e8400-e29b-41d4-a716-446655440000".into(),
                    name: "Process Performance".into(),
                },
                MindzieDashboard {
                    dashboard_id: "550e8400-e29b-41d4-a716-446655440001".into(),
                    name: "Conformance Overview".into(),
                },
            ],
            links: BTreeMap::new(),
            next_link: 1,
        };
        World {
            sisense,
            eci,
            vizzly,
            appviewx,
            mindzie,
        }
    }

    /// Adds `count` more dashboards to every vendor that has a dashboard list, for load tests.
    /// Each Sisense one is owned by the admin and shared with nobody else.
    pub fn add_bulk_dashboards(&mut self, count: usize) {
        let owner = self
            .sisense
            .admin_user()
            .map(|u| u.id.clone())
            .unwrap_or_default();
        for n in 0..count {
            self.sisense.dashboards.push(SisenseDashboard {
                oid: format!("b{n:023x}"),
                title: format!("Bulk {n:05}"),
                owner: owner.clone(),
                shares: vec![json!({"shareId": owner, "type": "user", "subscribe": true})],
            });
            self.eci.dashboards.push(EciDashboard {
                dashboard_id: 100_000 + n as i64,
                dashboard_info: format!("Bulk {n:05}"),
                shared_user_ids: BTreeSet::new(),
                shared_user_group_ids: BTreeSet::new(),
                shared_with_everyone: false,
            });
            self.appviewx
                .dashboards
                .insert(format!("Bulk {n:05}"), AppViewXShares::default());
            self.mindzie.dashboards.push(MindzieDashboard {
                dashboard_id: format!("00000000-0000-4000-8000-{n:012x}"),
                name: format!("Bulk {n:05}"),
            });
        }
    }
}
