//! What the file wants, per profile and dashboard: the rows grouped, de-duplicated and checked
//! against each profile's vendor before any request. A file with any problem is refused whole.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::input::{self, Problem, Row};
use crate::config::Profile;
use crate::error::{Error, Result, Thing};
use crate::flow::admit::{admit, admit_together};
use crate::flow::timed;
use crate::model::{Access, Change, Mode, Principal, PrincipalKind};
use crate::vendor::Vendor;

/// How many distinct problems are spelled out before the rest are only counted.
const PROBLEMS_SHOWN: usize = 50;

/// One share a file asks for on a dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub principal: Principal,
    pub access: Access,
    pub line: u64,
    /// When the share ends, for a share given for a time.
    pub expires: Option<DateTime<Utc>>,
    /// Also give the principal the entry it lacks on the dashboard's data model.
    pub with_data: bool,
}

/// A dashboard as the file names it (an id or `name:TITLE`) and what it should have.
#[derive(Debug, Clone)]
pub struct Target {
    pub dashboard: String,
    /// Sorted by principal, each principal once.
    pub wanted: Vec<Wanted>,
}

/// The dashboards of one profile.
#[derive(Debug)]
pub struct Site {
    pub profile: Profile,
    pub targets: Vec<Target>,
}

#[derive(Debug)]
pub struct Desired {
    pub sites: Vec<Site>,
    /// Rows read from the file (before duplicates were merged).
    pub rows: usize,
}

impl Desired {
    pub fn dashboards(&self) -> usize {
        self.sites.iter().map(|site| site.targets.len()).sum()
    }
}

/// Loads a profile by the name a row gives, or the command line's choice for `None`.
pub type ProfileLoader<'a> = &'a mut dyn FnMut(Option<&str>) -> Result<Profile>;

/// Reads the file and checks every row; fails naming every problem at once.
pub fn gather(source: input::Source, load_profile: ProfileLoader, prune: bool) -> Result<Desired> {
    let mut gathering = Gathering {
        load_profile,
        prune,
        sites: Vec::new(),
        profiles: HashMap::new(),
        targets: HashMap::new(),
        problems: Vec::new(),
        rows: 0,
        // An `expires` must lie ahead of this, the same moment for the whole file.
        start: chrono::Utc::now(),
    };
    let mut problems = Vec::new();
    input::read_from(source, &mut |row| gathering.add(row), &mut problems)?;
    let Gathering {
        mut sites,
        problems: row_problems,
        rows,
        ..
    } = gathering;
    problems.extend(row_problems);
    for site in &mut sites {
        for target in &mut site.targets {
            settle(site.profile.vendor, target, &mut problems);
        }
    }
    if !problems.is_empty() {
        return Err(refusal(&source.name(), problems));
    }
    if rows == 0 {
        return Err(Error::invalid(format!(
            "{} lists no shares; nothing to apply",
            source.name()
        )));
    }
    Ok(Desired { sites, rows })
}

struct Gathering<'a> {
    load_profile: &'a mut dyn FnMut(Option<&str>) -> Result<Profile>,
    prune: bool,
    sites: Vec<Site>,
    /// A row's profile name → its site, or why that profile cannot be used.
    profiles: HashMap<Option<String>, std::result::Result<usize, String>>,
    /// Per site: dashboard as written → target.
    targets: HashMap<usize, HashMap<String, usize>>,
    problems: Vec<Problem>,
    rows: usize,
    start: chrono::DateTime<chrono::Utc>,
}

impl Gathering<'_> {
    fn add(&mut self, row: Row) {
        self.rows += 1;
        let site = match self.site_of(row.profile.as_deref()) {
            Ok(site) => site,
            Err(message) => {
                self.problems.push(Problem::at(row.line, message));
                return;
            }
        };
        let vendor = self.sites[site].profile.vendor;
        if let Err(message) = check_row(vendor, &row, self.prune) {
            self.problems.push(Problem::at(row.line, message));
            return;
        }
        let expires = match row.expires.map(|when| when.at(self.start)).transpose() {
            Ok(at) => at,
            Err(message) => {
                self.problems
                    .push(Problem::at(row.line, format!("expires {message}")));
                return;
            }
        };
        let wanted = Wanted {
            principal: row.principal,
            access: row.access,
            line: row.line,
            expires,
            with_data: row.with_data,
        };
        let site_targets = &mut self.sites[site].targets;
        let index = self.targets.entry(site).or_default();
        match index.get(row.dashboard.as_str()) {
            Some(&at) => site_targets[at].wanted.push(wanted),
            None => {
                index.insert(row.dashboard.clone(), site_targets.len());
                site_targets.push(Target {
                    dashboard: row.dashboard,
                    wanted: vec![wanted],
                });
            }
        }
    }

    fn site_of(&mut self, profile: Option<&str>) -> std::result::Result<usize, String> {
        if let Some(known) = self.profiles.get(&profile.map(str::to_string)) {
            return known.clone();
        }
        let found = match (self.load_profile)(profile) {
            // Two names for one profile (a row's and the default) must share one site, or one
            // dashboard could be written twice at once.
            Ok(loaded) => Ok(
                match self
                    .sites
                    .iter()
                    .position(|s| s.profile.name == loaded.name)
                {
                    Some(index) => index,
                    None => {
                        self.sites.push(Site {
                            profile: loaded,
                            targets: Vec::new(),
                        });
                        self.sites.len() - 1
                    }
                },
            ),
            Err(err) => Err(match profile {
                // An error about this very profile names it already.
                Some(name)
                    if err
                        .about()
                        .is_some_and(|about| about.is(Thing::Profile, name)) =>
                {
                    err.to_string()
                }
                Some(name) => format!("profile '{name}': {err}"),
                None => format!("the row names no profile, and {err}"),
            }),
        };
        self.profiles
            .insert(profile.map(str::to_string), found.clone());
        found
    }
}

/// What the vendor cannot do for this row, before any request.
fn check_row(vendor: Vendor, row: &Row, prune: bool) -> std::result::Result<(), String> {
    let mode = if prune { Mode::Replace } else { Mode::Merge };
    if row.with_data && row.expires.is_some() {
        return Err(format!(
            "{WITH_DATA} with expires: `expire` would take the share back and leave the data \
             model's entry; give one or the other",
            WITH_DATA = input::WITH_DATA_COLUMN
        ));
    }
    if row.with_data && !vendor.capabilities().data_models {
        return Err(format!(
            "{WITH_DATA}: {vendor} keeps no data models apart from its dashboards; remove it from \
             this row",
            WITH_DATA = input::WITH_DATA_COLUMN
        ));
    }
    if row.expires.is_some() {
        timed::admit_timed(vendor).map_err(|refusal| {
            refusal
                .for_command(vendor)
                .and_then_say(timed::NEVER_TAKEN_BACK)
                .to_string()
        })?;
    }
    admit(
        vendor,
        &[row.principal.kind()],
        None,
        Change::Grant(row.access),
        mode,
    )
    .map_err(|refusal| refusal.for_file(vendor, &row.principal))
}

/// Sorts a target's shares, merges repeats, and reports what cannot stand together.
fn settle(vendor: Vendor, target: &mut Target, problems: &mut Vec<Problem>) {
    target
        .wanted
        .sort_by(|a, b| a.principal.cmp(&b.principal).then(a.line.cmp(&b.line)));
    let mut conflicts = Vec::new();
    target.wanted.dedup_by(|later, first| {
        if later.principal != first.principal {
            return false;
        }
        // Either line asking for the data model's entry asks for it.
        first.with_data |= later.with_data;
        if later.access != first.access {
            conflicts.push(Problem::at(
                later.line,
                format!(
                    "{} is asked for at {} here and at {} on line {} for dashboard '{}': name it once",
                    later.principal, later.access, first.access, first.line, target.dashboard
                ),
            ));
        } else if later.expires != first.expires {
            conflicts.push(Problem::at(
                later.line,
                format!(
                    "{} is asked for until {} here and until {} on line {} for dashboard '{}': \
                     name it once",
                    later.principal,
                    shown_end(later.expires),
                    shown_end(first.expires),
                    first.line,
                    target.dashboard
                ),
            ));
        }
        true
    });
    // The journal keeps one end per dashboard write, so one dashboard's timed shares end together.
    let mut ends = target.wanted.iter().filter_map(|w| Some((w, w.expires?)));
    if let Some((first, at)) = ends.next()
        && let Some((other, other_at)) = ends.find(|(_, other_at)| other_at != &at)
    {
        conflicts_of_ends(target, first, at, other, other_at, problems);
    }
    problems.extend(conflicts);
    let kinds: Vec<PrincipalKind> = target.wanted.iter().map(|w| w.principal.kind()).collect();
    // The access does not matter to which principals can stand together.
    if let Err(refusal) = admit_together(vendor, &kinds, Change::Grant(Access::View)) {
        let first = &target.wanted[0];
        let everyone = target
            .wanted
            .iter()
            .find(|w| w.principal == Principal::Everyone)
            .unwrap_or(first);
        problems.push(Problem::at(
            everyone.line,
            refusal.for_file(vendor, &target.dashboard),
        ));
    }
}

/// Two different ends asked for on one dashboard.
fn conflicts_of_ends(
    target: &Target,
    first: &Wanted,
    at: DateTime<Utc>,
    other: &Wanted,
    other_at: DateTime<Utc>,
    problems: &mut Vec<Problem>,
) {
    let (early, late) = if first.line <= other.line {
        ((first, at), (other, other_at))
    } else {
        ((other, other_at), (first, at))
    };
    problems.push(Problem::at(
        late.0.line,
        format!(
            "{} expires at {} here, but {} on line {} at {}: the shares given for a time on \
             dashboard '{}' must end together; give them one expires, or apply them in two files",
            late.0.principal,
            timed::rfc3339(late.1),
            early.0.principal,
            early.0.line,
            timed::rfc3339(early.1),
            target.dashboard
        ),
    ));
}

/// An end as messages show it.
fn shown_end(end: Option<DateTime<Utc>>) -> String {
    end.map_or("no end".to_string(), timed::rfc3339)
}

/// One error naming every problem; a message repeated on many lines is shown once, with a count.
fn refusal(name: &str, problems: Vec<Problem>) -> Error {
    let total = problems.len();
    let mut distinct: Vec<(Problem, usize)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for problem in problems {
        match index.get(&problem.message) {
            Some(&at) => distinct[at].1 += 1,
            None => {
                index.insert(problem.message.clone(), distinct.len());
                distinct.push((problem, 0));
            }
        }
    }
    distinct.sort_by_key(|(problem, _)| problem.line);
    let mut text = format!(
        "{name} has {}; nothing was changed:",
        crate::wording::plural(total, "problem")
    );
    for (problem, more) in distinct.iter().take(PROBLEMS_SHOWN) {
        text.push_str("\n  ");
        text.push_str(&problem.to_string());
        if *more > 0 {
            text.push_str(&format!(
                " (and {} like it)",
                crate::wording::plural(*more, "more line")
            ));
        }
    }
    if distinct.len() > PROBLEMS_SHOWN {
        text.push_str(&format!(
            "\n  … and {} more distinct problems",
            distinct.len() - PROBLEMS_SHOWN
        ));
    }
    Error::invalid(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PrincipalKind;

    fn profile(name: &str, vendor: Vendor) -> Profile {
        Profile {
            name: name.into(),
            vendor,
            url: url::Url::parse("https://bi.example.com/").unwrap(),
            username: None,
            password: None,
            api_key: None,
            token: None,
            settings: Default::default(),
            rate_limit: None,
            timeout: None,
        }
    }

    /// Profiles named after their vendor; no name means `prod`, a Sisense profile.
    fn loader(name: Option<&str>) -> Result<Profile> {
        match name.unwrap_or("prod") {
            "prod" | "sisense" => Ok(profile("prod", Vendor::Sisense)),
            other => match other.parse::<Vendor>() {
                Ok(vendor) => Ok(profile(other, vendor)),
                Err(_) => Err(Error::not_found(
                    Thing::Profile,
                    other,
                    format!("profile '{other}' is not in the config"),
                )),
            },
        }
    }

    fn gather_text(text: &str, prune: bool) -> Result<Desired> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shares.csv");
        std::fs::write(&path, text).unwrap();
        gather(input::Source::file(&path), &mut loader, prune)
    }

    #[test]
    fn rows_group_per_profile_and_dashboard_and_repeats_merge() {
        let desired = gather_text(
            "profile,dashboard,principal,access\n\
             ,d1,user:bob,view\n\
             sisense,d1,user:alice,view\n\
             prod,d1,user:bob,view\n\
             prod,d2,group:Ops,edit\n\
             eci,7,everyone,view\n",
            false,
        )
        .unwrap();
        assert_eq!(desired.rows, 5);
        assert_eq!(
            desired.sites.len(),
            2,
            "the default and its names are one site"
        );
        let sisense = &desired.sites[0];
        assert_eq!(sisense.targets.len(), 2);
        let d1: Vec<(String, u64)> = sisense.targets[0]
            .wanted
            .iter()
            .map(|w| (w.principal.to_string(), w.line))
            .collect();
        assert_eq!(d1, vec![("user:alice".into(), 3), ("user:bob".into(), 2)]);
        assert_eq!(
            desired.sites[1].targets[0].wanted[0].principal.kind(),
            PrincipalKind::Everyone
        );
        assert_eq!(desired.dashboards(), 3);
    }

    #[test]
    fn conflicts_and_vendor_limits_are_refused_with_their_lines() {
        let err = gather_text(
            "profile,dashboard,principal,access\n\
             prod,d1,user:bob,view\n\
             prod,d1,user:bob,edit\n\
             eci,7,everyone,view\n\
             eci,7,user:BOB,view\n\
             vizzly,v1,user:c-1,edit\n\
             appviewx,Ops,group:SRE,view\n\
             mindzie,m1,user:x,view\n",
            false,
        )
        .unwrap_err()
        .to_string();
        for expected in [
            "has 4 problems",
            "line 3: user:bob is asked for at edit here and at view on line 2",
            "line 4: eci shares a dashboard either with everyone or with users and groups",
            "line 7: appviewx can only set a dashboard's complete group lists",
            "line 8: user:x: mindzie has no dashboard-level sharing with people",
        ] {
            assert!(err.contains(expected), "missing «{expected}» in {err}");
        }
    }

    /// A time that has passed, one principal given two ends, and a dashboard's timed shares that
    /// end apart are each refused at their line; shares with no end stand beside timed ones.
    #[test]
    fn expiries_that_cannot_be_kept_are_refused_with_their_lines() {
        let err = gather_text(
            "dashboard,principal,expires\n\
             d1,user:a,2020-01-01\n\
             d2,user:b,2098-01-01\n\
             d2,user:b,2098-01-02\n\
             d3,user:c,2098-01-01\n\
             d3,user:d,2099-12-31\n\
             d3,user:e,\n",
            false,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("has 3 problems;"), "{err}");
        assert!(
            err.contains("line 2: expires 2020-01-02T00:00:00Z has already passed"),
            "{err}"
        );
        assert!(err.contains("line 4: user:b is asked for until"), "{err}");
        assert!(
            err.contains(
                "line 6: user:d expires at 2100-01-01T00:00:00Z here, but user:c on line 5"
            ),
            "{err}"
        );
        let desired = gather_text(
            "dashboard,principal,expires\nd1,user:a,2098-01-01\nd1,user:b,\n",
            false,
        )
        .unwrap();
        let ends: Vec<bool> = desired.sites[0].targets[0]
            .wanted
            .iter()
            .map(|w| w.expires.is_some())
            .collect();
        assert_eq!(ends, [true, false]);
    }

    #[test]
    fn prune_needs_a_vendor_that_can_read_or_takes_a_complete_set() {
        let err = gather_text(
            "profile,dashboard,principal\nvizzly,v1,user:c-1\nappviewx,Ops,group:SRE\n",
            true,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("has 1 problem;"), "{err}");
        assert!(
            err.contains("line 2: vizzly cannot read a dashboard's shares"),
            "{err}"
        );
    }

    #[test]
    fn a_problem_on_many_lines_is_shown_once_with_a_count() {
        let mut text = String::from("profile,dashboard,principal\n");
        for n in 0..100 {
            text.push_str(&format!("staging,d{n},user:a\n"));
        }
        let err = gather_text(&text, false).unwrap_err().to_string();
        assert!(err.contains("has 100 problems"), "{err}");
        assert!(
            err.contains(
                "line 2: profile 'staging' is not in the config (and 99 more lines like it)"
            ),
            "{err}"
        );
        assert_eq!(err.lines().count(), 2, "{err}");
    }

    /// Whether a row's message says which profile failed is decided by what the error is about,
    /// not by its words.
    #[test]
    fn a_profile_error_is_prefixed_unless_it_is_about_that_profile() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shares.csv");
        std::fs::write(&path, "profile,dashboard,principal\nstaging,d1,user:a\n").unwrap();
        let mut elsewhere =
            |_: Option<&str>| Err(Error::invalid("profile 'staging' of another file is bad"));
        let err = gather(input::Source::file(&path), &mut elsewhere, false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 2: profile 'staging': profile 'staging' of another file is bad"),
            "{err}"
        );
        let mut about = |_: Option<&str>| {
            Err(Error::invalid_about(
                crate::error::Subject::new(Thing::Profile, "staging"),
                "profile 'staging' has no url",
            ))
        };
        let err = gather(input::Source::file(&path), &mut about, false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 2: profile 'staging' has no url"),
            "{err}"
        );
    }

    #[test]
    fn an_empty_file_is_refused() {
        let err = gather_text("profile,dashboard,principal\n", false).unwrap_err();
        assert!(err.to_string().contains("lists no shares"), "{err}");
    }
}
