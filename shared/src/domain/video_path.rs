//! Where a lesson lives on a push host (the original layout, with institutions added):
//!
//! ```text
//! VIDEO_ROOT/6666/6666.flv              legacy booking, no resolution
//! VIDEO_ROOT/6666/6666_720P.flv         no org_id (the old layout)
//! VIDEO_ROOT/22/6666/6666_720P.flv      org_id 22 (multi-institution layout)
//! ```

use std::path::{Path, PathBuf};

use super::{OrgId, RecordId, Resolution};

/// The identity of one video file on a node.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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
}
