//! Where a lesson lives on a push host (the original layout, with institutions added):
//!
//! ```text
//! VIDEO_ROOT/6666/6666.flv              legacy booking, no resolution
//! VIDEO_ROOT/6666/6666_720P.flv         no org_id (the old layout)
//! VIDEO_ROOT/22/6666/6666_720P.flv      org_id 22 (multi-institution layout)
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{OrgId, RecordId, Resolution};

/// The identity of one video file on a node.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct VideoKey {
    pub record_id: RecordId,
    pub resolution: Option<Resolution>,
    pub org_id: Option<OrgId>,
}

impl VideoKey {
    /// The path below `VIDEO_ROOT`. Every part is a checked id, so it never leaves the root.
    pub fn relative_path(&self) -> PathBuf {
        let record = self.record_id.to_string();
        let file = match self.resolution {
            None => format!("{record}.flv"),
            Some(resolution) => format!("{record}_{resolution}.flv"),
        };
        let mut path = PathBuf::new();
        if let Some(org) = &self.org_id {
            path.push(org.as_str());
        }
        path.push(&record);
        path.push(file);
        path
    }

    pub fn path_under(&self, video_root: &Path) -> PathBuf {
        video_root.join(self.relative_path())
    }

    /// The relative path with `/` separators: the video's name in the cache index.
    pub fn relative_path_text(&self) -> String {
        let record = self.record_id.to_string();
        let file = match self.resolution {
            None => format!("{record}.flv"),
            Some(resolution) => format!("{record}_{resolution}.flv"),
        };
        match &self.org_id {
            Some(org) => format!("{org}/{record}/{file}"),
            None => format!("{record}/{file}"),
        }
    }

    /// The key of a file found at `relative` below `VIDEO_ROOT`, if it follows one of the three
    /// layouts (the start-up scan); `None` for anything else.
    pub fn from_relative_path(relative: &str) -> Option<Self> {
        let parts: Vec<&str> = relative.split('/').collect();
        let (org, record, file) = match parts.as_slice() {
            [record, file] => (None, *record, *file),
            [org, record, file] => (Some(org.parse().ok()?), *record, *file),
            _ => return None,
        };
        let record_id = RecordId::new(record.parse().ok()?).ok()?;
        let stem = file.strip_suffix(".flv")?;
        let resolution = match stem.strip_prefix(record)? {
            "" => None,
            rest => Some(rest.strip_prefix('_')?.parse().ok()?),
        };
        let key = Self { record_id, resolution, org_id: org };
        // Only the canonical spelling (`720P`, not `720p`) is one of ours.
        (key.relative_path_text() == relative).then_some(key)
    }

    /// The old layout: no institution directory (`vteacher purge-legacy` deletes these).
    pub fn is_old_layout(&self) -> bool {
        self.org_id.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(resolution: Option<&str>, org: Option<&str>) -> VideoKey {
        VideoKey {
            record_id: RecordId::new(6666).unwrap(),
            resolution: resolution.map(|r| r.parse().unwrap()),
            org_id: org.map(|o| o.parse().unwrap()),
        }
    }

    #[test]
    fn follows_the_three_layouts() {
        let root = Path::new("/home/video");
        assert_eq!(key(None, None).path_under(root), Path::new("/home/video/6666/6666.flv"));
        assert_eq!(key(Some("720p"), None).path_under(root), Path::new("/home/video/6666/6666_720P.flv"));
        assert_eq!(key(Some("720P"), Some("22")).path_under(root), Path::new("/home/video/22/6666/6666_720P.flv"));
    }

    #[test]
    fn a_scanned_path_gives_back_its_key_in_every_layout() {
        for k in [key(None, None), key(Some("720P"), None), key(Some("240P"), Some("22")), key(None, Some("22"))] {
            let text = k.relative_path_text();
            assert_eq!(Path::new(&text), k.relative_path());
            assert_eq!(VideoKey::from_relative_path(&text), Some(k));
        }
        for stranger in [
            "6666/6667.flv",
            "6666/6666_720p.flv",
            "6666/6666_999P.flv",
            "a/b/c/6666.flv",
            "6666.flv",
            "6666/6666.mp4",
            "x y/6666/6666.flv",
            "6666/6666_720P.flv.part",
            "0/0.flv",
        ] {
            assert_eq!(VideoKey::from_relative_path(stranger), None, "{stranger}");
        }
    }
}
