//! The transcode of one (record, resolution): made by the cloud (oss) or by our ffmpeg (ecs).

use sea_orm::{Condition, entity::prelude::*};

use crate::domain::{Provider, TranscodeKey, TranscodeState};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "transcodes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub record_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub resolution: String,
    pub state: TranscodeState,
    /// Who is making it now.
    pub provider: Option<Provider>,
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
    /// While its job waits for another attempt: a `RetryStatus`.
    pub retry: Option<Json>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The one filter for the transcode of `key`, in selects, updates and deletes alike.
pub fn of(key: TranscodeKey) -> Condition {
    Condition::all().add(Column::RecordId.eq(key.record_id.get())).add(Column::Resolution.eq(key.resolution.as_str()))
}
