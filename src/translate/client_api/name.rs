//! Client API names: `FromStr`/`Display` for the name the history, the filter, the console and
//! the CLI use, and `ApiName`, a stored name that may be one this build does not know.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use super::ApiFormat;

/// A name that is not a client API this build knows; its message lists the ones it does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown api `{name}` (known: {})", ApiFormat::known_names())]
pub struct UnknownApi {
    pub name: String,
}

impl ApiFormat {
    /// "openai, anthropic": the names `FromStr` takes.
    pub fn known_names() -> String {
        Self::ALL.map(Self::as_str).join(", ")
    }
}

impl fmt::Display for ApiFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ApiFormat {
    type Err = UnknownApi;

    /// A format by its name, in any case.
    fn from_str(name: &str) -> Result<Self, UnknownApi> {
        Self::ALL
            .into_iter()
            .find(|api| api.as_str().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| UnknownApi {
                name: name.to_owned(),
            })
    }
}

/// An api name as the history stored it: a format this build knows, or a name it does not (a
/// row written by a newer build), shown as it is rather than failing the listing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ApiName {
    Known(ApiFormat),
    Unknown(String),
}

impl ApiName {
    pub fn from_stored(name: &str) -> Self {
        name.parse()
            .map_or_else(|_| Self::Unknown(name.to_owned()), Self::Known)
    }

    pub fn format(&self) -> Option<ApiFormat> {
        match self {
            Self::Known(api) => Some(*api),
            Self::Unknown(_) => None,
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::Known(api) => api.as_str(),
            Self::Unknown(name) => name,
        }
    }

    /// The format's short label; `?` for a name this build does not know.
    pub fn short_label(&self) -> &'static str {
        self.format().map_or("?", ApiFormat::short_label)
    }

    /// The format's replay headers; none for a name this build does not know (the route then
    /// decides).
    pub fn replay_headers(&self) -> &'static [(&'static str, &'static str)] {
        self.format().map_or(&[], ApiFormat::replay_headers)
    }
}

impl From<ApiFormat> for ApiName {
    fn from(api: ApiFormat) -> Self {
        Self::Known(api)
    }
}

impl PartialEq<ApiFormat> for ApiName {
    fn eq(&self, other: &ApiFormat) -> bool {
        self.format() == Some(*other)
    }
}

impl fmt::Display for ApiName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ApiName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}
