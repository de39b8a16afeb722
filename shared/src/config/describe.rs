//! `vteacher config`: the effective settings, secrets masked.

use serde_json::Value;

use super::Settings;

const SECRET_KEYS: [&str; 3] = ["api_token", "mps_access_key_secret", "storage_secret_access_key"];
const URL_KEYS: [&str; 8] = [
    "database_url",
    "node_database_url",
    "redis_url",
    "oss_http_url",
    "alarm_webhook_url",
    "result_webhook_url",
    "storage_url",
    "storage_public_url",
];

impl Settings {
    /// Every key with its effective value, upper-case as `.env` writes them; secrets and URL
    /// passwords masked.
    pub fn describe(&self) -> Vec<(String, String)> {
        let Ok(Value::Object(map)) = serde_json::to_value(self) else {
            return Vec::new();
        };
        map.into_iter()
            .map(|(key, value)| {
                let text = match value {
                    Value::Null => "(unset)".to_owned(),
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                let shown = if SECRET_KEYS.contains(&key.as_str()) && text != "(unset)" {
                    "********".to_owned()
                } else if URL_KEYS.contains(&key.as_str()) {
                    mask_url_password(&text)
                } else {
                    text
                };
                (key.to_ascii_uppercase(), shown)
            })
            .collect()
    }
}

/// `redis://:hunter2@host/0` → `redis://:********@host/0`; query strings are dropped, as they
/// often carry tokens.
pub fn mask_url_password(text: &str) -> String {
    let Ok(mut url) = url::Url::parse(text) else {
        return text.to_owned();
    };
    if url.password().is_some() {
        let _ = url.set_password(Some("********"));
    }
    if url.query().is_some() && !text.starts_with("sqlite:") {
        url.set_query(Some("********"));
    }
    url.to_string()
}
