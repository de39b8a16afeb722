//! The OpenAPI schema of the transcode result (hand-written: `TranscodeResult::from_value`
//! reads the message by hand, with its legacy spellings).

use utoipa::{
    PartialSchema, ToSchema,
    openapi::{ObjectBuilder, OneOfBuilder, RefOr, Schema, Type, schema::SchemaType},
};

use super::{RecordId, Resolution, SourceUrl, TranscodeResult};

/// The transcode result (转码 publish) as `TranscodeResult::from_value` reads it; other fields
/// are kept.
impl PartialSchema for TranscodeResult {
    fn schema() -> RefOr<Schema> {
        let text = || ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null]));
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .property("cmd", text().description(Some("\"transcoding\" (not checked)")))
            .property("record_id", RecordId::schema())
            .required("record_id")
            .property("video_resolution", Resolution::schema())
            .required("video_resolution")
            .property(
                "result",
                ObjectBuilder::new().schema_type(Type::String).description(Some(
                    "\"sucess\" (sic) or \"success\", any case, is a success; anything else a failure",
                )),
            )
            .required("result")
            .property(
                "type",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some("^\\s*([Oo][Ss][Ss]|[Ee][Cc][Ss])\\s*$"))
                    .description(Some("who made the rendition: oss or ecs, any case")),
            )
            .required("type")
            .property(
                "transcode_video_url",
                OneOfBuilder::new()
                    .item(SourceUrl::schema())
                    .item(ObjectBuilder::new().schema_type(Type::Null))
                    .description(Some("the rendition; required when result is a success")),
            )
            .property("reason", text().description(Some("why it failed (or `message`)")))
            .description(Some("A transcode result, as the legacy `transcoding` message; unknown fields are kept"))
            .into()
    }
}

impl ToSchema for TranscodeResult {}
