//! The steps other than booking: a download's claim reserved (evicting) and then finished or
//! failed, a class ended, the cache manager's pass, and a restart with its scan.

use std::time::{Duration, UNIX_EPOCH};

use super::{
    Disk,
    harness::{Harness, class_id},
    model::{Held, PATHS},
};
use crate::{
    db::now_ms,
    node::cache::{
        self, claim,
        claim::Claim,
        fetch, finish,
        finish::Delivery,
        manager,
        reserve::{Evicted, RoomError},
        scan,
    },
};

fn videos(evicted: &[Evicted]) -> Vec<usize> {
    evicted.iter().map(|e| Harness::video_of(&e.path)).collect()
}

impl Harness {
    /// The claimed download reserves its size, evicting least recently used videos as needed,
    /// and starts writing its `.part`; or, when nothing can make room, gives up (as the job does).
    pub(super) async fn download(&mut self, class: u8, video: usize, mut claim: Claim) {
        let lru = self.lru().await;
        self.model.held[video] = Held::Downloading;
        let limits = self.node.limits();
        let expected = self.model.victims(limits, &lru);
        match self.node.room().reserve(&mut claim, self.model.bytes[video]).await {
            Ok(evicted) => {
                let evicted = videos(&evicted);
                assert_eq!(Some(evicted.clone()), expected, "reserve evicts the fewest, least recently used first");
                self.model.evicted(&evicted);
                let (bytes, count) = self.model.usage();
                assert!(bytes <= limits.max_bytes && count <= limits.max_count, "reserved over a limit");
                self.write(&self.part(video), self.model.bytes[video]);
                self.model.parts.insert(video);
                self.model.downloads.push((video, claim));
            }
            Err(RoomError::Full(full)) => {
                assert_eq!(expected, None, "refused although evictions could make room: {full}");
                claim::release(&self.node.cache.conn, self.node.id(), &claim).await.expect("release");
                fetch::forget_pending(&self.node, &class_id(class)).await.expect("forget");
                self.model.held[video] = Held::Absent;
                self.model.classes.remove(&class);
            }
            Err(RoomError::Db(e)) => panic!("reserve: {e}"),
            Err(RoomError::Held) => panic!("reserve: held"),
        }
    }

    pub(super) async fn end(&mut self, class: u8) {
        let changed = cache::end_class(&self.node, &class_id(class)).await.expect("end");
        assert_eq!(changed, self.model.end(class), "end of c{class} changed something or not");
    }

    /// A download under way completes: its file is renamed into place and the video finished.
    pub(super) async fn finish(&mut self, pick: u8) {
        if self.model.downloads.is_empty() {
            return;
        }
        let (video, claim) = self.model.downloads.remove(pick as usize % self.model.downloads.len());
        std::fs::rename(self.part(video), self.file(video)).expect("rename into place");
        self.model.parts.remove(&video);
        let bytes = self.model.bytes[video];
        let outcome = finish::finish(&self.node, &claim, bytes, None).await.expect("finish");
        let Delivery::Ready { mut classes, .. } = outcome else { panic!("finish: {outcome:?}") };
        classes.sort();
        let mut expected: Vec<_> = self.model.pending_on(video).into_iter().map(class_id).collect();
        expected.sort();
        assert_eq!(classes, expected, "finish attaches every class waiting on {}", PATHS[video]);
        self.model.ready(video);
    }

    /// A download under way fails: its claim (and reservation) is released; its `.part` stays
    /// for a resume, or goes.
    pub(super) async fn fail(&mut self, pick: u8, keep_part: bool) {
        if self.model.downloads.is_empty() {
            return;
        }
        let (video, claim) = self.model.downloads.remove(pick as usize % self.model.downloads.len());
        claim::release(&self.node.cache.conn, self.node.id(), &claim).await.expect("release");
        if !keep_part {
            std::fs::remove_file(self.part(video)).expect("remove the .part");
            self.model.parts.remove(&video);
        }
        self.model.held[video] = Held::Absent;
    }

    /// The cache manager's pass: down to the low-water mark when the unreferenced videos allow.
    pub(super) async fn evict(&mut self) {
        let lru = self.lru().await;
        let low = self.node.limits().scaled(self.node.settings.cache_low_water);
        let expected = self.model.victims(low, &lru);
        let evicted = videos(&manager::pass(&self.node).await.expect("pass"));
        // Fewer candidates than a page: a pass that cannot reach the mark deletes nothing.
        assert_eq!(evicted, expected.clone().unwrap_or_default(), "the pass evicts the fewest, LRU first");
        self.model.evicted(&evicted);
        if expected.is_some() {
            let (bytes, count) = self.model.usage();
            assert!(bytes <= low.max_bytes && count <= low.max_count, "over the low-water mark after a pass");
        }
    }

    /// The process stops (crashing, or releasing its downloads), the disk is changed by hand,
    /// and the next start scans `VIDEO_ROOT`.
    pub(super) async fn restart(&mut self, crash: bool, disk: Disk) {
        if crash {
            self.crash_downloads().await;
        } else {
            for (_, claim) in &self.model.downloads {
                claim::release(&self.node.cache.conn, self.node.id(), claim).await.expect("release");
            }
        }
        for (video, _) in std::mem::take(&mut self.model.downloads) {
            self.model.held[video] = Held::Absent;
        }
        let (mut adopted, mut dropped) = (0, 0);
        let n = PATHS.len();
        match disk {
            Disk::Nothing => {}
            Disk::DeleteUnreferenced(pick) => {
                let unreferenced: Vec<usize> =
                    (0..n).filter(|&v| self.model.held[v] == Held::Ready && self.model.cites(v) == 0).collect();
                if let Some(&video) = unreferenced.get(pick as usize % unreferenced.len().max(1)) {
                    std::fs::remove_file(self.file(video)).expect("delete by hand");
                    self.model.held[video] = Held::Absent;
                    dropped = 1;
                }
            }
            Disk::Add(pick) => {
                let absent: Vec<usize> = (0..n).filter(|&v| self.model.held[v] == Held::Absent).collect();
                if let Some(&video) = absent.get(pick as usize % absent.len().max(1)) {
                    self.write(&self.file(video), self.model.bytes[video]);
                    let mtime = UNIX_EPOCH + Duration::from_millis(now_ms() as u64);
                    let file = std::fs::File::options().write(true).open(self.file(video)).expect("open");
                    file.set_modified(mtime).expect("set mtime");
                    self.model.held[video] = Held::Ready;
                    self.model.touch(video);
                    adopted = 1;
                }
            }
            Disk::Unknown(pick) => {
                let name = ["notes.txt", "1006/1006_720p.flv", "22/x/1007/1007.flv"][pick as usize % 3];
                self.write(&self.root.join(name), 3);
                self.model.unknown.insert(name.to_owned());
            }
        }
        let scanned = scan::scan(&self.node, &|_| {}).await.expect("scan");
        let ready = (0..n).filter(|&v| self.model.held[v] == Held::Ready).count();
        let files = ready + self.model.parts.len() + self.model.unknown.len();
        assert_eq!(scanned.files, files as u64, "files walked");
        assert_eq!((scanned.adopted, scanned.dropped), (adopted, dropped), "adopted, dropped");
        assert_eq!((scanned.parts_kept, scanned.parts_removed), (self.model.parts.len() as u64, 0));
        let unknown: std::collections::BTreeSet<String> = scanned.unknown.into_iter().collect();
        assert_eq!(unknown, self.model.unknown, "files matching no layout");
        assert!(scanned.redownload.is_empty(), "no attached video was deleted");
    }
}
