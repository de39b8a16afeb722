//! The transcode of one (record, resolution): made by the cloud (oss) or by our ffmpeg (ecs).

use sea_orm::{entity::prelude::*, sea_query::StringLen};

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, serde::Serialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum TranscodeState {
    #[sea_orm(string_value = "transcoding")]
    Transcoding,
    #[sea_orm(string_value = "succeeded")]
    Succeeded,
    #[sea_orm(string_value = "failed")]
    Failed,
    #[sea_orm(string_value = "timed_out")]
    TimedOut,
}

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "transcodes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub record_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub resolution: String,
    pub state: TranscodeState,
    /// `oss` or `ecs`: who is making it now.
    pub provider: Option<String>,
    pub source_url: Option<String>,
    /// Where the finished rendition can be downloaded.
    pub url: Option<String>,
    pub reason: Option<String>,
    pub progress: Option<i32>,
    pub deadline_at: Option<i64>,
    pub created_at: i64,
    /// The renditions it may be made from: `{"video_url": …, "video_url_list": {…}}`.
    pub sources: Option<Json>,
    /// The cloud (mps) job it waits on, so a restarted worker polls instead of resubmitting.
    pub oss_job_id: Option<String>,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
