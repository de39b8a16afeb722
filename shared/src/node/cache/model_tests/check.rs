//! The invariants, checked after every step against the index, the disk and the model.

use std::collections::BTreeMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{
    harness::{Harness, class_id},
    model::{Held, PATHS},
};
use crate::{
    db::{cache_dirs, cache_refs, cache_totals, cache_videos},
    domain::{RefState, VideoState},
    node::cache::store::top_dir,
};

impl Harness {
    pub(super) async fn check(&self) {
        let conn = &self.node.cache.conn;
        let node = self.node.id();
        let rows = cache_videos::Entity::find().filter(cache_videos::Column::Node.eq(node)).all(conn).await.unwrap();
        let row = |v: usize| rows.iter().find(|r| r.path == PATHS[v]);
        for (v, path) in PATHS.iter().enumerate() {
            let file = self.file(v);
            match (self.model.held[v], row(v)) {
                (Held::Absent, None) => assert!(!file.exists(), "{path}: a file without a row"),
                (Held::Ready, Some(r)) if r.state == VideoState::Ready => {
                    let on_disk = std::fs::metadata(&file).map(|m| m.len());
                    let cites = self.model.cites(v);
                    let what = if cites > 0 { "a referenced video's file" } else { "a ready video's file" };
                    assert_eq!(on_disk.ok(), Some(self.model.bytes[v]), "{path}: {what} is missing or wrong");
                    assert_eq!(r.size_bytes as u64, self.model.bytes[v], "{path}: size");
                    assert_eq!(r.num_cite, cites, "{path}: num_cite against the live classes on it");
                }
                (Held::Downloading, Some(r)) if r.state == VideoState::Downloading => {
                    assert!(self.part(v).exists(), "{path}: a downloading video's file was deleted");
                    assert!(!file.exists(), "{path}: in place before its download finished");
                    assert_eq!(r.size_bytes as u64, self.model.bytes[v], "{path}: reservation");
                    assert_eq!(r.num_cite, 0, "{path}: counted before it is ready");
                }
                (held, r) => panic!("{path}: the model has it {held:?}, the index {r:?}"),
            }
        }
        for &v in &self.model.parts {
            assert!(self.part(v).exists(), "{}: its .part is gone", PATHS[v]);
        }
        self.check_refs().await;
        self.check_totals(&rows).await;
        self.check_last_use(&rows);
    }

    async fn check_refs(&self) {
        let conn = &self.node.cache.conn;
        let refs = cache_refs::Entity::find().filter(cache_refs::Column::Node.eq(self.node.id())).all(conn).await;
        let found: BTreeMap<String, (String, RefState)> =
            refs.unwrap().into_iter().map(|r| (r.class_id, (r.path, r.state))).collect();
        let expected: BTreeMap<String, (String, RefState)> = self
            .model
            .classes
            .iter()
            .map(|(&c, &(v, s))| (class_id(c).to_string(), (v.map_or("", |v| PATHS[v]).to_owned(), s)))
            .collect();
        assert_eq!(found, expected, "class references");
    }

    /// `cache_totals` and `cache_dirs` equal the sums over the rows (and the model's).
    async fn check_totals(&self, rows: &[cache_videos::Model]) {
        let conn = &self.node.cache.conn;
        let node = self.node.id();
        let mut sums = [0i64; 5];
        let mut dirs: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for r in rows {
            match r.state {
                VideoState::Ready => {
                    sums[0] += r.size_bytes;
                    sums[1] += 1;
                    if r.num_cite > 0 {
                        sums[4] += r.size_bytes;
                    }
                    let dir = dirs.entry(top_dir(&r.path)).or_default();
                    *dir = (dir.0 + r.size_bytes, dir.1 + 1);
                }
                VideoState::Downloading => {
                    sums[2] += r.size_bytes;
                    sums[3] += 1;
                }
                VideoState::Evicting => panic!("{}: left evicting after an eviction", r.path),
            }
        }
        let t = cache_totals::Entity::find_by_id(node.as_str().to_owned()).one(conn).await.unwrap();
        let kept = t
            .as_ref()
            .map_or([0; 5], |t| [t.used_bytes, t.video_count, t.reserved_bytes, t.reserved_count, t.referenced_bytes]);
        assert_eq!(kept, sums, "cache_totals [used, count, reserved, reserved count, referenced] against the rows");
        let (bytes, count) = self.model.usage();
        assert_eq!(((sums[0] + sums[2]) as u64, (sums[1] + sums[3]) as u64), (bytes, count), "against the model");
        assert_eq!(t.map_or(0, |t| t.evictions) as u64, self.model.evictions, "evictions counted");
        let found = cache_dirs::Entity::find().filter(cache_dirs::Column::Node.eq(node)).all(conn).await.unwrap();
        for d in &found {
            assert!(d.size_bytes >= 0 && d.video_count >= 0, "DIR_INFO below zero: {d:?}");
        }
        let found: BTreeMap<String, (i64, i64)> = found
            .into_iter()
            .filter(|d| (d.size_bytes, d.video_count) != (0, 0))
            .map(|d| (d.dir, (d.size_bytes, d.video_count)))
            .collect();
        assert_eq!(found, dirs, "DIR_INFO against the rows");
    }

    /// A video used later in the model was not used earlier in the index.
    fn check_last_use(&self, rows: &[cache_videos::Model]) {
        let ready: Vec<(usize, i64)> = rows
            .iter()
            .filter(|r| r.state == VideoState::Ready)
            .map(|r| (Harness::video_of(&r.path), r.last_used_at))
            .collect();
        for &(a, at_a) in &ready {
            for &(b, at_b) in &ready {
                if self.model.last_use[a] < self.model.last_use[b] {
                    assert!(at_a <= at_b, "{} was used before {} but has a later last_used_at", PATHS[a], PATHS[b]);
                }
            }
        }
    }
}
