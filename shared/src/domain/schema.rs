//! OpenAPI schemas (utoipa) of the types parsed by hand at the edge: ids, `RecordId`,
//! `Resolution`, `SourceUrl`, a URL list and the transcode result. Their serde impls are
//! written by hand (legacy senders send numbers for ids, `"720p"` or `720` for resolutions), so
//! a derive could not see what they accept: each schema here says it, next to nothing else.
//! The web process assembles the document (`workers/src/web/openapi/`).

use std::borrow::Cow;

use serde_json::json;
use utoipa::{
    PartialSchema, ToSchema,
    openapi::{KnownFormat, ObjectBuilder, OneOfBuilder, RefOr, SchemaFormat, Type, schema::Schema},
};

use super::{ClassId, NodeId, OrgId, RecordId, Resolution, SourceUrl};

/// `[A-Za-z0-9_-]`, as `ids::check_safe` accepts.
const SAFE_ID_PATTERN: &str = "^[A-Za-z0-9_-]+$";

fn safe_id(max: usize, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(SAFE_ID_PATTERN))
        .description(Some(format!(
            "{description}: up to {max} characters of [A-Za-z0-9_-] (a number is read as its digits)"
        )))
        .into()
}

macro_rules! id_schema {
    ($name:ident, $description:expr) => {
        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                safe_id($name::MAX_LEN, $description)
            }
        }
        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

id_schema!(ClassId, "one booked class");
id_schema!(OrgId, "an institution (机构)");
id_schema!(NodeId, "a push host");

impl PartialSchema for RecordId {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(1))
            .description(Some("a recorded lesson: a positive integer (its digits as a string are read too)"))
            .into()
    }
}

impl ToSchema for RecordId {}

/// `"720P"`, any case, `"720"` or the number `720` (`Resolution::from_str` and its serde).
const RESOLUTION_PATTERN: &str = "^\\s*(1080|720|480|240)[Pp]?\\s*$";

impl PartialSchema for Resolution {
    fn schema() -> RefOr<Schema> {
        let text = ObjectBuilder::new().schema_type(Type::String).pattern(Some(RESOLUTION_PATTERN));
        let number = ObjectBuilder::new().schema_type(Type::Integer).enum_values(Some([240, 480, 720, 1080]));
        OneOfBuilder::new()
            .item(text)
            .item(number)
            .description(Some("1080P, 720P, 480P or 240P, in any case; \"240\" and 240 mean 240P"))
            .examples([json!("720P")])
            .into()
    }
}

impl ToSchema for Resolution {}

impl PartialSchema for SourceUrl {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::Custom("uri".into())))
            .pattern(Some("^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\\s]+"))
            .description(Some("an absolute http(s) URL with a host"))
            .examples([json!("https://cdn.example.com/6666_720P.flv")])
            .into()
    }
}

impl ToSchema for SourceUrl {}

/// `video_url_list`: resolution → URL of a rendition that already exists.
pub(super) fn url_list() -> RefOr<Schema> {
    let key = ObjectBuilder::new().schema_type(Type::String).pattern(Some(RESOLUTION_PATTERN));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property_names(Some(key))
        .additional_properties(Some(SourceUrl::schema()))
        .description(Some("resolution → URL of a rendition that already exists"))
        .into()
}
