//! What the cache should hold after each step, kept without a database: which videos are on
//! the disk, which classes count on them, which downloads run, and the order of last use.

use std::collections::{BTreeMap, BTreeSet};

use crate::{
    domain::RefState,
    node::cache::{claim::Claim, evict::Limits},
};

/// The videos of the test, in the three layouts.
pub(super) const PATHS: [&str; 5] =
    ["22/1001/1001_720P.flv", "1002/1002_720P.flv", "1003/1003.flv", "23/1004/1004_480P.flv", "22/1005/1005.flv"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Held {
    Absent,
    Downloading,
    Ready,
}

#[derive(Debug)]
pub(super) struct Model {
    pub bytes: Vec<u64>,
    pub held: Vec<Held>,
    /// Class number → its video (`None`: ended before it was booked) and state.
    pub classes: BTreeMap<u8, (Option<usize>, RefState)>,
    /// Downloads under way: the video and the claim on it.
    pub downloads: Vec<(usize, Claim)>,
    /// Videos with a `.part` file on the disk.
    pub parts: BTreeSet<usize>,
    /// Files that match no layout.
    pub unknown: BTreeSet<String>,
    /// When each video was last used, as a step count (bigger: later).
    pub last_use: Vec<u64>,
    pub clock: u64,
    pub evictions: u64,
}

impl Model {
    pub(super) fn new(bytes: Vec<u64>) -> Self {
        let n = bytes.len();
        Self {
            bytes,
            held: vec![Held::Absent; n],
            classes: BTreeMap::new(),
            downloads: Vec::new(),
            parts: BTreeSet::new(),
            unknown: BTreeSet::new(),
            last_use: vec![0; n],
            clock: 0,
            evictions: 0,
        }
    }

    pub(super) fn touch(&mut self, video: usize) {
        self.clock += 1;
        self.last_use[video] = self.clock;
    }

    /// Classes attached to `video`: its num_cite.
    pub(super) fn cites(&self, video: usize) -> i32 {
        self.classes.values().filter(|(v, s)| *v == Some(video) && *s == RefState::Attached).count() as i32
    }

    pub(super) fn pending_on(&self, video: usize) -> Vec<u8> {
        let on = |(c, (v, s)): (&u8, &(Option<usize>, RefState))| {
            (*v == Some(video) && *s == RefState::Pending).then_some(*c)
        };
        self.classes.iter().filter_map(on).collect()
    }

    /// Registers `class` on `video` as `refs::register` should: the state it is in after.
    pub(super) fn register(&mut self, class: u8, video: usize) -> RefState {
        match self.classes.get(&class).copied() {
            Some((_, RefState::Ended)) => return RefState::Ended,
            Some((Some(v), state)) if v == video => return state,
            Some((Some(other), RefState::Attached)) => {
                assert_eq!(self.held[other], Held::Ready, "an attached class's video is on the disk");
                self.touch(other);
            }
            _ => {}
        }
        self.classes.insert(class, (Some(video), RefState::Pending));
        RefState::Pending
    }

    /// Ends `class`: whether anything changed.
    pub(super) fn end(&mut self, class: u8) -> bool {
        match self.classes.get(&class).copied() {
            None => {
                self.classes.insert(class, (None, RefState::Ended));
                true
            }
            Some((_, RefState::Ended)) => false,
            Some((video, state)) => {
                if let (Some(v), RefState::Attached) = (video, state) {
                    self.touch(v);
                }
                self.classes.insert(class, (video, RefState::Ended));
                true
            }
        }
    }

    /// A cache hit: the class is attached to the video already in place.
    pub(super) fn hit(&mut self, class: u8, video: usize) {
        self.classes.insert(class, (Some(video), RefState::Attached));
        self.touch(video);
    }

    /// The download is in place: every class pending on the video is attached.
    pub(super) fn ready(&mut self, video: usize) {
        self.held[video] = Held::Ready;
        for class in self.pending_on(video) {
            self.classes.insert(class, (Some(video), RefState::Attached));
        }
        self.touch(video);
    }

    /// Bytes and videos counted against the limits: ready and downloading.
    pub(super) fn usage(&self) -> (u64, u64) {
        let counted = (0..self.bytes.len()).filter(|&v| self.held[v] != Held::Absent);
        counted.fold((0, 0), |(b, n), v| (b + self.bytes[v], n + 1))
    }

    /// The shortest prefix of `lru` (videos, least recently used first) whose eviction brings
    /// the node within `limits`; `None` when even all of them do not.
    pub(super) fn victims(&self, limits: Limits, lru: &[usize]) -> Option<Vec<usize>> {
        let (mut bytes, mut count) = self.usage();
        for k in 0..=lru.len() {
            if bytes <= limits.max_bytes && count <= limits.max_count {
                return Some(lru[..k].to_vec());
            }
            if let Some(&v) = lru.get(k) {
                bytes -= self.bytes[v];
                count -= 1;
            }
        }
        None
    }

    /// The videos were evicted: each must have been ready and unreferenced.
    pub(super) fn evicted(&mut self, videos: &[usize]) {
        for &v in videos {
            assert_eq!(self.held[v], Held::Ready, "evicted {} which was not ready", PATHS[v]);
            assert_eq!(self.cites(v), 0, "evicted {} which a class references", PATHS[v]);
            self.held[v] = Held::Absent;
            self.evictions += 1;
        }
    }
}
