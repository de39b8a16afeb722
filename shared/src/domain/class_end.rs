//! The class end message (下课), as the web app publishes it on `CHANNEL_CLASS_END`:
//! `{"cmd": "class_end", "class_id": "c-1"}`. Other fields (`record_id`, `org_id`…) may be
//! present; the class id alone decides.

use serde_json::Value;

use super::{
    ClassId, MessageError,
    messages::{optional, required},
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassEnd {
    pub class_id: ClassId,
}

impl ClassEnd {
    pub fn from_json(bytes: &[u8]) -> Result<Self, MessageError> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| MessageError::Malformed(e.to_string()))?;
        let Value::Object(mut map) = value else {
            return Err(MessageError::NotAnObject);
        };
        if let Some(cmd) = optional::<String>(&mut map, "cmd")?
            && !cmd.eq_ignore_ascii_case("class_end")
        {
            return Err(MessageError::at("cmd", format!("expected \"class_end\", got {cmd:?}")));
        }
        Ok(Self { class_id: required(&mut map, "class_id")? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_class_id_alone_decides() {
        let end = ClassEnd::from_json(br#"{"cmd": "class_end", "class_id": "c-1", "record_id": 6666, "org_id": 22}"#);
        assert_eq!(end.unwrap().class_id.as_str(), "c-1");
        assert_eq!(ClassEnd::from_json(br#"{"class_id": 42}"#).unwrap().class_id.as_str(), "42");
    }

    #[test]
    fn a_bad_message_names_what_is_wrong() {
        let field = |json: &str| ClassEnd::from_json(json.as_bytes()).unwrap_err().field().map(str::to_owned);
        assert_eq!(field(r#"{"cmd": "class_end"}"#).as_deref(), Some("class_id"));
        assert_eq!(field(r#"{"class_id": "../etc"}"#).as_deref(), Some("class_id"));
        assert_eq!(field(r#"{"cmd": "booking", "class_id": "c-1"}"#).as_deref(), Some("cmd"));
        assert!(matches!(ClassEnd::from_json(b"[1]"), Err(MessageError::NotAnObject)));
        assert!(matches!(ClassEnd::from_json(b"{"), Err(MessageError::Malformed(_))));
    }
}
