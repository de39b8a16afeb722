//! Settings, read through figment. Later layers win: built-in defaults < `vteacher.toml`
//! (optional; `VTEACHER_CONFIG` names another file) < `.env` < environment. Keys are read
//! case-insensitively, so the legacy lower-case `wget_path` is the same key as `WGET_PATH`.

mod describe;
pub use describe::mask_url_password;
mod scaled;
pub use scaled::scaled_timers;
mod settings;
mod units;
mod validate;

use std::{collections::BTreeMap, path::Path};

use figment::{
    Figment,
    providers::{Env, Serialized},
    value::{Dict, Value},
};

pub use settings::{LogFormat, OssProvider, Settings};
pub use units::{FrameSize, GiB, Nets, Rate, Span};

/// A setting that stops start-up, with the key that holds it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration key {key}: {problem}")]
pub struct ConfigError {
    pub key: String,
    pub problem: String,
}

impl ConfigError {
    pub fn new(key: &str, problem: impl Into<String>) -> Self {
        Self { key: key.to_ascii_uppercase(), problem: problem.into() }
    }
}

impl Settings {
    /// Reads every layer from this process's surroundings.
    pub fn load() -> Result<Self, ConfigError> {
        let toml_path = std::env::var("VTEACHER_CONFIG").unwrap_or_else(|_| "vteacher.toml".into());
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        figment = figment.merge(Serialized::globals(toml_layer(Path::new(&toml_path))?));
        figment = figment.merge(Serialized::globals(dotenv_layer(Path::new(".env"))?));
        figment = figment.merge(Env::raw());
        Self::extract(figment)
    }

    /// Reads only the given key/value pairs over the defaults (tests, tools).
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Result<Self, ConfigError> {
        let dict = pairs.into_iter().map(|(k, v)| parsed(k.as_ref(), v.as_ref())).collect::<Dict>();
        let figment = Figment::from(Serialized::defaults(Settings::default())).merge(Serialized::globals(dict));
        Self::extract(figment)
    }

    fn extract(figment: Figment) -> Result<Self, ConfigError> {
        let settings: Settings = figment.extract().map_err(|e| {
            let key = e.path.last().cloned().unwrap_or_else(|| "(unknown)".into());
            let source = e.metadata.as_ref().map(|m| format!(" (from {})", m.name)).unwrap_or_default();
            ConfigError::new(&key, format!("{}{source}", e.kind))
        })?;
        settings.validate()?;
        Ok(settings)
    }
}

/// `FAIL_ENQUEUE`: `queue:N,…` → (queue, N).
pub fn faults(text: &str) -> Result<Vec<(String, u32)>, String> {
    text.split(',')
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            let (queue, count) = part.trim().split_once(':').ok_or_else(|| format!("{part:?} is not queue:count"))?;
            let count = count.parse().map_err(|_| format!("{part:?}: the count is not a number"))?;
            Ok((queue.to_owned(), count))
        })
        .collect()
}

fn parsed(key: &str, value: &str) -> (String, Value) {
    (key.to_ascii_lowercase(), value.parse().unwrap_or_else(|_| Value::from(value.to_owned())))
}

fn toml_layer(path: &Path) -> Result<Dict, ConfigError> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(Dict::new());
    };
    let table: BTreeMap<String, Value> =
        toml::from_str(&text).map_err(|e| ConfigError::new("VTEACHER_CONFIG", format!("{}: {e}", path.display())))?;
    Ok(table.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect())
}

fn dotenv_layer(path: &Path) -> Result<Dict, ConfigError> {
    let Ok(iter) = dotenvy::from_path_iter(path) else {
        return Ok(Dict::new());
    };
    let mut dict = Dict::new();
    for item in iter {
        let (key, value) = item.map_err(|e| ConfigError::new(".env", format!("{}: {e}", path.display())))?;
        let (key, value) = parsed(&key, &value);
        dict.insert(key, value);
    }
    Ok(dict)
}

#[cfg(test)]
mod tests;
