//! Turning a vendor's non-success answer into an error a user can act on, with the vendor's own
//! message (scrubbed of secrets) and the contract's exit code.

use reqwest::StatusCode;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::http::{HttpClient, Reply};

/// How one vendor words its errors.
pub struct VendorErrors {
    /// The vendor's name as users know it.
    pub vendor: &'static str,
    /// What a 401 means on this vendor and what to do about it.
    pub unauthorized: &'static str,
    /// Finds the human message in the vendor's error body.
    pub message: fn(&Value) -> Option<String>,
}

/// The first non-empty text under one of `names` (in that order, any case) in an error body, or
/// one level down inside its `error` object (`{"error": {"message": …}}`).
pub fn message_in(body: &Value, names: &[&str]) -> Option<String> {
    let nested = crate::shape::field(body, &["error"]).filter(|error| error.is_object());
    [Some(body), nested]
        .into_iter()
        .flatten()
        .find_map(|candidate| {
            names.iter().find_map(|name| {
                crate::shape::text(candidate, &[name])
                    .map(|text| text.trim().to_string())
                    .filter(|text| !text.is_empty())
            })
        })
}

/// The longest stretch of an unparsed error body shown to the user.
const MAX_BODY: usize = 300;

impl VendorErrors {
    /// The vendor's own message, or the start of the body when it is not the expected JSON;
    /// scrubbed of every secret the client knows before it is cut, so that no secret can show
    /// in part across the cut.
    pub fn message(&self, http: &HttpClient, reply: &Reply) -> Option<String> {
        let text = match serde_json::from_slice::<Value>(&reply.body) {
            Ok(body) => (self.message)(&body)?,
            Err(_) => String::from_utf8_lossy(&reply.body).trim().to_string(),
        };
        let text = http.scrub(&text);
        (!text.is_empty()).then(|| text.chars().take(MAX_BODY).collect())
    }

    /// The reply when it is a success, else the error `failure` makes of it.
    pub fn ensure_success(&self, http: &HttpClient, reply: Reply, doing: &str) -> Result<Reply> {
        if reply.is_success() {
            Ok(reply)
        } else {
            Err(self.failure(http, &reply, doing))
        }
    }

    /// An error for a non-success answer: 401 is an authentication failure (exit 3), 403 a
    /// permission the account lacks, anything else a failed remote operation (both exit 1).
    pub fn failure(&self, http: &HttpClient, reply: &Reply, doing: &str) -> Error {
        let said = self
            .message(http, reply)
            .map(|message| format!(": {message}"))
            .unwrap_or_default();
        let vendor = self.vendor;
        if reply.status.is_redirection() {
            let location = reply
                .headers
                .get(reqwest::header::LOCATION)
                .and_then(|value| value.to_str().ok())
                // A redirect may carry a token the server handed out.
                .map_or_else(
                    || "another address".to_string(),
                    |location| http.scrub(location),
                );
            return Error::remote(format!(
                "{vendor} redirected to {location} while {doing} ({}); dashshare does not follow \
                 redirects: set the profile's url to the address the server wants",
                reply.status.as_u16()
            ));
        }
        match reply.status {
            StatusCode::UNAUTHORIZED => Error::Auth(format!(
                "{vendor} refused the credentials while {doing} (401){said}; {}",
                self.unauthorized
            )),
            StatusCode::FORBIDDEN => Error::PermissionDenied(format!(
                "{vendor} denied permission while {doing} (403){said}; the account needs rights to this object"
            )),
            status => Error::remote(format!(
                "{vendor} answered {} while {doing}{said}",
                status.as_u16()
            )),
        }
    }
}
