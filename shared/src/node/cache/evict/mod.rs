//! Which videos make room for a new one (docs/design/push-hosts.md "Eviction"), as a
//! pure function: the node's limits, its running totals, the filesystem's free space, what must
//! fit, and a page of candidates (unreferenced, not downloading, least recently used first) in;
//! the victims, or why nothing can make it fit, out. Its cost is the page, never the cache.

use std::fmt;

/// A node's limits: `MAX_VIDEO_SIZE`, `MAX_VIDEO_NUM`, `MIN_FREE_DISK`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_bytes: u64,
    pub max_count: u64,
    pub min_free_bytes: u64,
}

impl Limits {
    /// The low-water mark the cache manager evicts down to ahead of need.
    pub fn scaled(self, fraction: f64) -> Self {
        let scale = |v: u64| ((v as f64) * fraction).floor() as u64;
        Self { max_bytes: scale(self.max_bytes), max_count: scale(self.max_count).max(1), ..self }
    }
}

/// The running totals the cache index keeps per node (never a SUM over the table).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Videos on disk (ready).
    pub used_bytes: u64,
    pub video_count: u64,
    /// Downloads under way: their Content-Length, and how many.
    pub reserved_bytes: u64,
    pub reserved_count: u64,
    /// Bytes of videos some class still references (num_cite > 0).
    pub referenced_bytes: u64,
}

/// What must fit besides what is there: a new download (`bytes`, one video), or nothing (the
/// cache manager's pass to the low-water mark).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    pub bytes: u64,
    pub videos: u64,
}

impl Need {
    pub fn video(bytes: u64) -> Self {
        Self { bytes, videos: 1 }
    }

    pub const NOTHING: Need = Need { bytes: 0, videos: 0 };
}

/// A video that may be deleted: no class references it and it is not being downloaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub id: i64,
    pub bytes: u64,
}

/// The limit that cannot be met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Size,
    Count,
    FreeDisk,
}

/// Nothing (more) can be evicted and the new video still does not fit: the numbers a user
/// needs to see why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full {
    pub limit: Limit,
    /// Bytes (or videos, for `Count`) the new download needs.
    pub needed: u64,
    /// Bytes (or videos) held by what cannot be evicted: referenced or downloading videos.
    pub held: u64,
    /// The limit itself: bytes, videos, or bytes that must stay free.
    pub allowed: u64,
}

impl fmt::Display for Full {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.limit {
            Limit::Size => write!(
                f,
                "cache full: needs {} bytes, {} bytes are held by referenced or downloading videos, MAX_VIDEO_SIZE is {} bytes",
                self.needed, self.held, self.allowed
            ),
            Limit::Count => write!(
                f,
                "cache full: needs room for {} more video(s), {} videos are referenced or downloading, MAX_VIDEO_NUM is {}",
                self.needed, self.held, self.allowed
            ),
            Limit::FreeDisk => write!(
                f,
                "disk full: needs {} bytes, {} bytes are free beyond what downloads under way reserved, MIN_FREE_DISK keeps {} bytes free",
                self.needed, self.held, self.allowed
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// It fits as things are.
    Fits,
    /// Delete these (in order), then plan again: they make it fit, or they are the whole page.
    Evict(Vec<Candidate>),
    /// It cannot fit even with every candidate gone.
    Full(Full),
}

/// How far over each limit the node would be with `need` added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Over {
    bytes: u64,
    videos: u64,
    disk: u64,
}

impl Over {
    fn of(limits: Limits, totals: Totals, free_disk: u64, need: Need) -> Self {
        let bytes = totals.used_bytes + totals.reserved_bytes + need.bytes;
        let videos = totals.video_count + totals.reserved_count + need.videos;
        // Free space counts downloads under way as if they were written already: parallel
        // downloads never overshoot together.
        let wanted_free = limits.min_free_bytes + totals.reserved_bytes + need.bytes;
        Self {
            bytes: bytes.saturating_sub(limits.max_bytes),
            videos: videos.saturating_sub(limits.max_count),
            disk: wanted_free.saturating_sub(free_disk),
        }
    }

    fn covered_by(self, freed_bytes: u64, freed_videos: u64) -> bool {
        freed_bytes >= self.bytes && freed_videos >= self.videos && freed_bytes >= self.disk
    }
}

/// Whether `need` fits as things are (no candidate needs reading).
pub fn fits(limits: Limits, totals: Totals, free_disk: u64, need: Need) -> bool {
    Over::of(limits, totals, free_disk, need).covered_by(0, 0)
}

/// The victims that make `need` fit, least recently used first. `page_is_all` says the page
/// holds every remaining candidate; otherwise a page that does not suffice is evicted whole and
/// the caller plans again with the next page.
pub fn plan(limits: Limits, totals: Totals, free_disk: u64, need: Need, page: &[Candidate], page_is_all: bool) -> Plan {
    let over = Over::of(limits, totals, free_disk, need);
    if over.covered_by(0, 0) {
        return Plan::Fits;
    }
    let (mut freed_bytes, mut freed_videos) = (0, 0);
    for (taken, candidate) in page.iter().enumerate() {
        freed_bytes += candidate.bytes;
        freed_videos += 1;
        if over.covered_by(freed_bytes, freed_videos) {
            return Plan::Evict(page[..=taken].to_vec());
        }
    }
    if !page_is_all && !page.is_empty() {
        return Plan::Evict(page.to_vec());
    }
    Plan::Full(full(limits, totals, free_disk, need, over, freed_bytes, freed_videos))
}

/// Names the first limit that cannot be met, with its numbers.
fn full(limits: Limits, totals: Totals, free_disk: u64, need: Need, over: Over, bytes: u64, videos: u64) -> Full {
    if bytes < over.bytes {
        let held = (totals.used_bytes + totals.reserved_bytes).saturating_sub(bytes);
        return Full { limit: Limit::Size, needed: need.bytes, held, allowed: limits.max_bytes };
    }
    if videos < over.videos {
        let held = (totals.video_count + totals.reserved_count).saturating_sub(videos);
        return Full { limit: Limit::Count, needed: need.videos, held, allowed: limits.max_count };
    }
    let free = (free_disk + bytes).saturating_sub(totals.reserved_bytes);
    Full { limit: Limit::FreeDisk, needed: need.bytes, held: free, allowed: limits.min_free_bytes }
}

#[cfg(test)]
mod tests;
