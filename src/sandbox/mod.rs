//! Local, stateful emulators of every vendor's API on 127.0.0.1, one port each, for trying
//! dashshare, testing CI jobs and share files, end-to-end tests and benchmarks. They follow the
//! vendors' documented behaviour, sharp edges included (see each module), and can inject faults:
//! latency, random 503s, a request rate with 429s, sessions that die after N uses, and writes
//! answered late after they were committed.

mod appviewx;
mod eci;
mod faults;
mod mindzie;
mod sisense;
mod vizzly;
pub mod world;

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::{Error, Result};
use crate::vendor::Vendor;
use world::{AppViewXWorld, EciWorld, MindzieWorld, SisenseWorld, VizzlyWorld};

/// How the emulators behave.
#[derive(Debug, Clone, Default)]
pub struct SandboxOptions {
    /// The first of consecutive ports, one per vendor in `Vendor::ALL`'s order; 0 picks free ones.
    pub port: u16,
    pub latency: Duration,
    /// The share of requests answered 503 before they are handled (0.0 to 1.0).
    pub fail_rate: f64,
    /// Requests per second each emulator accepts; more are answered 429 with `Retry-After: 1`.
    pub rate_limit: Option<u32>,
    /// Uses a Sisense token or AppViewX session survives before it answers 401.
    pub token_ttl: Option<u64>,
    /// How long a write (any request but a read, a search or a login) is answered after it was
    /// committed: a client killed in that window made a change it never heard of.
    pub commit_delay: Duration,
}

/// What the emulators share: the world and the sessions they handed out.
pub(crate) struct Shared {
    world: Mutex<World>,
    sessions: Mutex<HashMap<String, u64>>,
    token_ttl: Option<u64>,
    /// Every request each emulator received, as "METHOD /path?query", refused ones included.
    requests: Mutex<Vec<(Vendor, String)>>,
}

impl Shared {
    pub(crate) fn world(&self) -> MutexGuard<'_, World> {
        // A handler that panicked cannot leave the world half-written: each change is one assignment.
        self.world
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A new session token, prefixed by the vendor so that tokens never cross emulators.
    /// `exclusive`: the login invalidates the account's earlier sessions (Sisense renews that way).
    pub(crate) fn open_session(&self, vendor: Vendor, exclusive: bool) -> String {
        let token = format!(
            "{vendor}-{:016x}{:016x}",
            fastrand::u64(..),
            fastrand::u64(..)
        );
        let mut sessions = self.sessions_guard();
        if exclusive {
            let prefix = format!("{vendor}-");
            sessions.retain(|existing, _| !existing.starts_with(&prefix));
        }
        sessions.insert(token.clone(), 0);
        token
    }

    /// Whether `token` is a live session of `vendor`; every check is one use.
    pub(crate) fn use_session(&self, vendor: Vendor, token: &str) -> bool {
        if !token.starts_with(&format!("{vendor}-")) {
            return false;
        }
        let mut sessions = self.sessions_guard();
        match sessions.get_mut(token) {
            Some(uses) if self.token_ttl.is_none_or(|ttl| *uses < ttl) => {
                *uses += 1;
                true
            }
            Some(_) => {
                sessions.remove(token);
                false
            }
            None => false,
        }
    }

    pub(crate) fn record(&self, vendor: Vendor, request: String) {
        self.requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push((vendor, request));
    }

    fn sessions_guard(&self) -> MutexGuard<'_, HashMap<String, u64>> {
        self.sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The login an emulator accepts (a user name and its password), as the world seeds it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Account {
    pub username: String,
    pub password: String,
}

/// Everything the emulated vendors hold: users, groups, dashboards, shares and links, one part
/// per emulator. It is what `--seed FILE` provides and what `--state FILE` keeps across restarts
/// (the same JSON shape).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct World {
    pub sisense: SisenseWorld,
    pub eci: EciWorld,
    pub vizzly: VizzlyWorld,
    pub appviewx: AppViewXWorld,
    pub mindzie: MindzieWorld,
}

impl World {
    /// Sample data for every vendor, with the awkward cases real data has: names with spaces, `+`
    /// and `'`, two Sisense dashboards with the same title, an owner entry without a rule, a Sisense
    /// dashboard owned by someone other than the admin.
    pub fn seeded() -> World {
        World {
            sisense: SisenseWorld::seeded(),
            eci: EciWorld::seeded(),
            vizzly: VizzlyWorld::seeded(),
            appviewx: AppViewXWorld::seeded(),
            mindzie: MindzieWorld::seeded(),
        }
    }

    /// Adds `count` more dashboards to every vendor that has a dashboard list, for load tests.
    /// Each Sisense one is owned by the admin and shared with nobody else.
    pub fn add_bulk_dashboards(&mut self, count: usize) {
        self.sisense.add_bulk_dashboards(count);
        self.eci.add_bulk_dashboards(count);
        self.appviewx.add_bulk_dashboards(count);
        self.mindzie.add_bulk_dashboards(count);
    }
}

/// What one emulator brings: its routes, its secret and its lines of the printed config. Each
/// emulator module exports one, and `emulator` is the table of them.
pub(crate) struct Emulator {
    pub router: fn(Arc<Shared>) -> Router,
    /// The secret dashshare logs in with, as the world holds it now.
    pub secret: fn(&World) -> Secret,
    /// The profile's keys beyond vendor, url and the secret's source, one `key = "value"` a line.
    pub profile_keys: fn(&World) -> String,
    /// The names the conformance suite works with, from this world.
    pub cast: fn(&World) -> Option<Cast>,
}

/// The names a conformance run works with on one vendor, read from the emulator's world.
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
    /// Taken from `world` as `vendor`'s emulator holds it; `None` when the world lacks one (a
    /// world read from `--seed FILE` may).
    pub fn of(vendor: Vendor, world: &World) -> Option<Cast> {
        (emulator(vendor).cast)(world)
    }
}

/// An emulator's secret: the config key that names its source, the environment variable (or
/// file name) it is read from, and its value.
pub(crate) struct Secret {
    pub key: &'static str,
    pub var: &'static str,
    pub value: String,
}

fn emulator(vendor: Vendor) -> &'static Emulator {
    match vendor {
        Vendor::Sisense => &sisense::EMULATOR,
        Vendor::Eci => &eci::EMULATOR,
        Vendor::Vizzly => &vizzly::EMULATOR,
        Vendor::Appviewx => &appviewx::EMULATOR,
        Vendor::Mindzie => &mindzie::EMULATOR,
    }
}

/// The running emulators.
pub struct Sandbox {
    addresses: Vec<(Vendor, SocketAddr)>,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    servers: Vec<JoinHandle<()>>,
}

impl Sandbox {
    pub async fn start(world: World, options: &SandboxOptions) -> Result<Sandbox> {
        if !(0.0..=1.0).contains(&options.fail_rate) {
            return Err(Error::invalid(format!(
                "--fail-rate {} is not a share of requests; use a number from 0 to 1",
                options.fail_rate
            )));
        }
        let shared = Arc::new(Shared {
            world: Mutex::new(world),
            sessions: Mutex::new(HashMap::new()),
            token_ttl: options.token_ttl,
            requests: Mutex::new(Vec::new()),
        });
        let (stop, stopped) = watch::channel(false);
        let mut addresses = Vec::new();
        let mut servers = Vec::new();
        for (offset, vendor) in Vendor::ALL.into_iter().enumerate() {
            let port = match options.port {
                0 => 0,
                first => first.checked_add(offset as u16).ok_or_else(|| {
                    Error::invalid(format!(
                        "--port {first} leaves no room for {} ports",
                        Vendor::ALL.len()
                    ))
                })?,
            };
            let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port))
                .await
                .map_err(|err| {
                    Error::invalid(format!(
                        "cannot listen on 127.0.0.1:{port} for the {vendor} emulator: {err}; pick another --port"
                    ))
                })?;
            let address = listener.local_addr().map_err(|err| {
                Error::remote(format!("cannot read the listening address: {err}"))
            })?;
            let app = faults::wrap(
                vendor,
                (emulator(vendor).router)(shared.clone()),
                shared.clone(),
                options,
            );
            let mut stopped = stopped.clone();
            servers.push(tokio::spawn(async move {
                let shutdown = async move {
                    let _ = stopped.wait_for(|stop| *stop).await;
                };
                if let Err(err) = axum::serve(listener, app)
                    .with_graceful_shutdown(shutdown)
                    .await
                {
                    tracing::error!("the {vendor} emulator stopped: {err}");
                }
            }));
            addresses.push((vendor, address));
        }
        Ok(Sandbox {
            addresses,
            shared,
            stop,
            servers,
        })
    }

    pub fn url(&self, vendor: Vendor) -> String {
        let address = self
            .addresses
            .iter()
            .find(|(v, _)| *v == vendor)
            .map(|(_, a)| *a)
            .unwrap_or_else(|| SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
        format!("http://{address}")
    }

    /// A copy of everything the emulators hold now.
    pub fn world(&self) -> World {
        self.shared.world().clone()
    }

    /// The requests `vendor`'s emulator has received so far, as "METHOD /path?query".
    pub fn requests(&self, vendor: Vendor) -> Vec<String> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .filter(|(v, _)| *v == vendor)
            .map(|(_, request)| request.clone())
            .collect()
    }

    /// Changes the emulators' data in place (tests set up their cases with it).
    pub fn edit_world(&self, change: impl FnOnce(&mut World)) {
        change(&mut self.shared.world());
    }

    /// The profile name dashshare's config uses for each emulator.
    pub fn profile_name(vendor: Vendor) -> String {
        format!("sandbox-{vendor}")
    }

    /// The environment variables the printed config reads its secrets from, with their values.
    pub fn secrets(&self) -> Vec<(String, String)> {
        let world = self.shared.world();
        Vendor::ALL
            .into_iter()
            .map(|vendor| {
                let secret = (emulator(vendor).secret)(&world);
                (secret.var.to_string(), secret.value)
            })
            .collect()
    }

    /// Writes, into `dir`, each secret to a file of its own name and `config.toml`, which reads
    /// them from there (so nothing is set in the environment); the config's path.
    pub fn write_config(&self, dir: &std::path::Path) -> std::io::Result<std::path::PathBuf> {
        for (name, value) in self.secrets() {
            std::fs::write(dir.join(name), value)?;
        }
        let config = dir.join("config.toml");
        std::fs::write(&config, self.config_toml(Some(dir)))?;
        Ok(config)
    }

    /// A dashshare config with one profile per emulator. Secrets are read from the environment
    /// variables of `secrets()`, or, with `secrets_dir`, from files of the same names there.
    pub fn config_toml(&self, secrets_dir: Option<&std::path::Path>) -> String {
        let world = self.shared.world();
        let profiles: Vec<String> = Vendor::ALL
            .into_iter()
            .map(|vendor| {
                let emulator = emulator(vendor);
                let Secret { key, var, .. } = (emulator.secret)(&world);
                let source = match secrets_dir {
                    None => format!("{key}_env = \"{var}\""),
                    Some(dir) => format!("{key}_file = {:?}", dir.join(var).display().to_string()),
                };
                format!(
                    "[profiles.{}]\nvendor = \"{vendor}\"\nurl = \"{}\"\n{}{source}\n",
                    Self::profile_name(vendor),
                    self.url(vendor),
                    (emulator.profile_keys)(&world),
                )
            })
            .collect();
        format!(
            "# dashshare sandbox: five emulated vendors on this machine\n\
             default_profile = \"sandbox-sisense\"\n\n{}",
            profiles.join("\n")
        )
    }

    /// Stops every emulator, letting requests under way finish, and returns what they hold then.
    pub async fn stop(self) -> World {
        let _ = self.stop.send(true);
        for server in self.servers {
            let _ = server.await;
        }
        self.shared.world().clone()
    }
}
