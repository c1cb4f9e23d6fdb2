//! Vizzly: one endpoint, `PUT` to grant and `DELETE` to revoke, with `auth: Api-Key …`. There is no
//! way to read permissions, so changes are sent as asked (the flow's write-only path) and users
//! are Vizzly user references, passed through unchanged.
//!
//! Sources: vizzly.txt (docs.vizzly.co/sharing: route, header, request body) and Vizzly's own
//! types in `@vizzly/dashboard` 0.4.16, `dist/shared-logic/src/DashboardPermission/types.d.ts`
//! (`RawDashboardPermission`: `dashboard_id`, `scope: 'read' | 'read_write'`,
//! `user_reference: '*' | string`). The answers of the permissions route are not documented.

use async_trait::async_trait;
use reqwest::Method;
use reqwest::header::HeaderName;
use secrecy::ExposeSecret;
use serde::Serialize;
use serde_json::Value;

use super::answers::{self, VendorErrors};
use super::{BlindChange, Dashboard, Identity, Resolved, ShareProvider};
use crate::config::Profile;
use crate::error::{Error, Result};
use crate::http::{HttpClient, HttpOptions, secret_header};
use crate::model::{Access, Principal, PrincipalKind, ShareKey};
use crate::session::{Credential, FixedCredential, Session};
use crate::vendor::Vendor;

const PERMISSIONS: &[&str] = &["api", "v3", "project", "end-user", "permissions"];

const ERRORS: VendorErrors = VendorErrors {
    vendor: "Vizzly",
    unauthorized: "check the project API key (api_key_env / api_key_file, or DASHSHARE_API_KEY)",
    message: vendor_message,
};

/// Vizzly documents no error body. Its own client builds `{reason: …}` for a failed call
/// (`@vizzly/dashboard` 0.4.16 `dist/index.js`, the API client); the other names are the common
/// ones, under `error` too, in any case.
fn vendor_message(body: &Value) -> Option<String> {
    answers::message_in(body, &["message", "reason", "error", "detail"])
}

/// In Vizzly's permission model the user reference `*` stands for every end user
/// (`RawDashboardPermission.user_reference: '*' | string`).
const EVERY_USER: &str = "*";

#[derive(Debug, Serialize, PartialEq, Eq)]
struct Permission<'a> {
    dashboard_id: &'a str,
    scope: &'static str,
    user_reference: &'a str,
}

#[derive(Debug, Serialize)]
struct Permissions<'a> {
    permissions: Vec<Permission<'a>>,
}

fn scope(access: Access) -> &'static str {
    match access {
        Access::View => "read",
        Access::Edit => "read_write",
    }
}

pub struct Vizzly {
    session: Session,
}

pub static CONSTRUCTORS: super::Constructors = super::Constructors {
    share: |profile, options| Ok(Box::new(Vizzly::new(profile, options)?)),
    links: None,
};

impl Vizzly {
    pub fn new(profile: &Profile, options: &HttpOptions) -> Result<Self> {
        let Some(key) = &profile.api_key else {
            return Err(Error::invalid(format!(
                "vizzly profile '{}' needs a project API key (api_key_env or api_key_file)",
                profile.name
            )));
        };
        let http = HttpClient::new(profile.url.clone(), options)?;
        http.register_secret(key);
        let credential = Credential {
            header: HeaderName::from_static("auth"),
            value: secret_header(&format!("Api-Key {}", key.expose_secret()))?,
        };
        Ok(Vizzly {
            session: Session::new(http, Box::new(FixedCredential(credential))),
        })
    }
}

/// The permissions one call sends: every user at every one of `scopes`.
fn permissions<'a>(
    dashboard: &'a str,
    keys: &'a [ShareKey],
    scopes: &[&'static str],
) -> Vec<Permission<'a>> {
    keys.iter()
        .flat_map(|key| {
            scopes.iter().map(move |scope| Permission {
                dashboard_id: dashboard,
                scope,
                user_reference: &key.id,
            })
        })
        .collect()
}

#[async_trait]
impl ShareProvider for Vizzly {
    fn vendor(&self) -> Vendor {
        Vendor::Vizzly
    }

    /// Vizzly has no read endpoint, so the key is tried with an empty permission list: it changes
    /// nothing, and an invalid key is refused (401) before the body is even considered. The
    /// success answer is not documented, so it is not read; a 400 or 422 is read only for the
    /// message it may carry.
    async fn check(&self) -> Result<Identity> {
        let http = self.session.http();
        let request = http.request(Method::PUT, PERMISSIONS).json(&Permissions {
            permissions: Vec::new(),
        });
        let reply = self.session.send(request, true).await?;
        let detail = if reply.is_success() {
            "accepted (an empty permission list was sent; nothing changed)".to_string()
        } else if matches!(reply.status.as_u16(), 400 | 422) {
            // A 400 or 422 judges the (empty) body, so the key itself was accepted.
            format!(
                "accepted (an empty permission list was sent and judged {}{}; nothing changed)",
                reply.status.as_u16(),
                ERRORS
                    .message(http, &reply)
                    .map(|said| format!(": {said}"))
                    .unwrap_or_default()
            )
        } else {
            return Err(ERRORS.failure(http, &reply, "checking the API key"));
        };
        Ok(Identity {
            user: "the project API key".into(),
            detail: Some(detail),
        })
    }

    async fn find_dashboard(&self, reference: &str) -> Result<Dashboard> {
        if reference.starts_with("name:") {
            return Err(Error::NotSupported(
                "vizzly has no API to find a dashboard by its title; pass the dashboard id (dsh_…)"
                    .into(),
            ));
        }
        let id = reference.trim();
        if id.is_empty() {
            return Err(Error::invalid("the dashboard id is empty; pass a dsh_… id"));
        }
        Ok(Dashboard {
            id: id.to_string(),
            title: None,
        })
    }

    async fn resolve_principal(&self, principal: &Principal) -> Result<Option<Resolved>> {
        match principal {
            // `*` is every end user to Vizzly, which `--everyone` would be: not offered here.
            Principal::User(reference) if reference.trim() == EVERY_USER => {
                Err(Error::NotSupported(
                    "the Vizzly user reference '*' stands for every end user; dashshare does not \
                     share Vizzly dashboards with everyone (see `dashshare vendors`)"
                        .into(),
                ))
            }
            // A user reference is whatever the customer's identity logic issued: nothing to look up.
            Principal::User(reference) => Ok(Some(Resolved {
                principal: principal.clone(),
                key: ShareKey::new(PrincipalKind::User, reference.clone()),
            })),
            _ => Err(Error::NotSupported(format!(
                "vizzly shares dashboards with user references only, not with {}",
                principal.kind()
            ))),
        }
    }

    async fn send_blind(
        &self,
        dashboard: &Dashboard,
        keys: &[ShareKey],
        change: BlindChange,
    ) -> Result<()> {
        let (method, doing, scopes) = match change {
            BlindChange::Grant(access) => (Method::PUT, "granting", vec![scope(access)]),
            BlindChange::Revoke(Some(access)) => (Method::DELETE, "revoking", vec![scope(access)]),
            // Without a level, both permissions go: the user is left with no access.
            BlindChange::Revoke(None) => (
                Method::DELETE,
                "revoking",
                vec![scope(Access::View), scope(Access::Edit)],
            ),
        };
        let body = Permissions {
            permissions: permissions(&dashboard.id, keys, &scopes),
        };
        let http = self.session.http();
        let request = http.request(method, PERMISSIONS).json(&body);
        // Setting or removing the same permissions twice leaves the same permissions.
        let reply = self.session.send(request, true).await?;
        ERRORS.ensure_success(
            http,
            reply,
            &format!("{doing} access to dashboard '{}'", dashboard.id),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users(ids: &[&str]) -> Vec<ShareKey> {
        ids.iter()
            .map(|id| ShareKey::new(PrincipalKind::User, *id))
            .collect()
    }

    #[test]
    fn a_grant_sends_one_permission_per_user() {
        let keys = users(&["a", "b"]);
        let sent = permissions("dsh_1", &keys, &[scope(Access::Edit)]);
        assert_eq!(sent.len(), 2);
        assert!(
            sent.iter()
                .all(|p| p.scope == "read_write" && p.dashboard_id == "dsh_1")
        );
        assert_eq!(sent[1].user_reference, "b");
    }

    #[test]
    fn error_messages_are_found_under_any_known_name() {
        use serde_json::json;
        assert_eq!(
            vendor_message(&json!({"reason": "Aborted"})).as_deref(),
            Some("Aborted")
        );
        assert_eq!(
            vendor_message(&json!({"error": {"Message": "bad scope"}})).as_deref(),
            Some("bad scope")
        );
        assert_eq!(
            vendor_message(&json!({"Error": "no such dashboard"})).as_deref(),
            Some("no such dashboard")
        );
        assert_eq!(vendor_message(&json!({"message": " "})), None);
    }
}
