//! The monitoring figures of a scope (a programme as one viewer sees it, or a
//! mentor's mentees), kept per process and served again while nothing they
//! were computed from has changed, whichever instance wrote the change.
//!
//! An entry holds the figures, the [`Mark`] taken before they were read and
//! the delegates' facts they were computed from. A request reads the
//! delegates' facts again (one statement: names, organisations,
//! each delegate's today in their own time zone, the programme's dates and
//! cadence) and serves the entry only when those facts are equal and the
//! change feed has nothing for the entry's programmes since its mark. So
//! writes in the feed (plans, activities, indicators, measurements,
//! check-ins, memberships, mentorships, survey rounds and answers, the
//! programme) invalidate through the mark; renames, time zones and
//! organisations, which are not in the feed, by comparison; and a new day in
//! any delegate's time zone changes their today and with it the facts.
//!
//! Misses of one key compute once: the first holds the key's lock while it
//! computes, the others wait for it and then find a fresh entry. The cache
//! keeps at most `max_entries` entries and about `max_bytes` of figures,
//! dropping the least recently used.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use followup_domain::ids::{ProgramId, UserId};
use followup_domain::monitoring::{Dashboard, DelegateFacts, DelegateRow};
use followup_domain::policy::MonitoringScope;

use super::generation::{self, Mark};
use crate::connection::DbConnection;
use crate::error::StoreError;

/// What a monitoring read covers, and so what its figures are cached under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FiguresKey {
    /// One programme, as [`MonitoringScope`] says (all of it, without
    /// drafts, or one mentor's mentees).
    Program(ProgramId, MonitoringScope),
    /// The mentees of this mentor, in every programme.
    Mentees(UserId),
}

/// The figures of one scope: one row per delegate and the dashboard.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgramFigures {
    pub rows: Vec<DelegateRow>,
    pub dashboard: Dashboard,
}

struct Entry {
    mark: Mark,
    facts: Vec<DelegateFacts>,
    figures: Arc<ProgramFigures>,
}

#[derive(Default)]
struct Slot {
    entry: Mutex<Option<Entry>>,
    last_used: AtomicU64,
    bytes: AtomicUsize,
}

#[derive(Default)]
struct Slots {
    map: HashMap<FiguresKey, Arc<Slot>>,
    tick: u64,
}

/// Hits and misses since the process started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
}

/// The per-process cache of monitoring figures (see the module's comment).
pub struct MonitoringCache {
    slots: Mutex<Slots>,
    max_entries: usize,
    max_bytes: usize,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl std::fmt::Debug for MonitoringCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MonitoringCache")
            .field("max_entries", &self.max_entries)
            .field("max_bytes", &self.max_bytes)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Default for MonitoringCache {
    /// 256 entries, 16 MB of figures: a 1,000-delegate programme's take
    /// about 0.5 MB.
    fn default() -> Self {
        Self::new(256, 16 << 20)
    }
}

impl MonitoringCache {
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        Self {
            slots: Mutex::default(),
            max_entries: max_entries.max(1),
            max_bytes,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats { hits: self.hits.load(Ordering::Relaxed), misses: self.misses.load(Ordering::Relaxed) }
    }

    /// The figures of `key`: the cached ones if still valid, else
    /// `compute`'s, which get the delegates' facts read by `facts` after a
    /// fresh mark. `facts` runs on every call; it must read every input of
    /// the figures that the change feed does not cover.
    pub fn figures(
        &self,
        conn: &mut DbConnection,
        key: FiguresKey,
        facts: impl FnOnce(&mut DbConnection) -> Result<Vec<DelegateFacts>, StoreError>,
        compute: impl FnOnce(&mut DbConnection, &[DelegateFacts]) -> Result<ProgramFigures, StoreError>,
    ) -> Result<Arc<ProgramFigures>, StoreError> {
        let facts = facts(conn)?;
        let slot = self.slot(key);
        let mut entry = slot.entry.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(cached) = entry.as_ref() {
            if cached.facts == facts && !changed_since(conn, key, &facts, &cached.mark)? {
                self.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(Arc::clone(&cached.figures));
            }
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        // Drop the stale entry first: a failed computation leaves none.
        *entry = None;
        // A hit needs no mark. A computation takes it before its reads:
        // whatever commits after it is in the feed past it. Facts read
        // before it that change meanwhile differ at the next request.
        let mark = generation::mark(conn)?;
        let figures = Arc::new(compute(conn, &facts)?);
        let bytes = size_of_facts(&facts) + size_of_figures(&figures);
        slot.bytes.store(bytes, Ordering::Relaxed);
        if bytes <= self.max_bytes {
            *entry = Some(Entry { mark, facts, figures: Arc::clone(&figures) });
        }
        drop(entry);
        self.evict(key);
        Ok(figures)
    }

    /// The key's slot, created when missing, marked as just used.
    fn slot(&self, key: FiguresKey) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        slots.tick += 1;
        let tick = slots.tick;
        let slot = Arc::clone(slots.map.entry(key).or_default());
        slot.last_used.store(tick, Ordering::Relaxed);
        slot
    }

    /// Drop the least recently used entries (never `keep`'s) until the
    /// bounds hold.
    fn evict(&self, keep: FiguresKey) {
        let mut slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            let bytes: usize = slots.map.values().map(|s| s.bytes.load(Ordering::Relaxed)).sum();
            if slots.map.len() <= self.max_entries && bytes <= self.max_bytes {
                return;
            }
            let oldest = slots
                .map
                .iter()
                .filter(|(k, _)| **k != keep)
                .min_by_key(|(_, s)| s.last_used.load(Ordering::Relaxed))
                .map(|(k, _)| *k);
            match oldest {
                Some(k) => drop(slots.map.remove(&k)),
                None => return,
            }
        }
    }
}

/// Whether the feed has anything since `mark` for a programme the figures
/// cover: the key's, or each programme among a mentor's mentees.
fn changed_since(
    conn: &mut DbConnection,
    key: FiguresKey,
    facts: &[DelegateFacts],
    mark: &Mark,
) -> Result<bool, StoreError> {
    let mut programs: Vec<ProgramId> = match key {
        FiguresKey::Program(program, _) => vec![program],
        FiguresKey::Mentees(_) => facts.iter().map(|d| d.program_id).collect(),
    };
    programs.sort_unstable();
    programs.dedup();
    for program in programs {
        if generation::program_changed_since(conn, program, mark)? {
            return Ok(true);
        }
    }
    Ok(false)
}

fn size_of_facts(facts: &[DelegateFacts]) -> usize {
    facts
        .iter()
        .map(|d| {
            std::mem::size_of::<DelegateFacts>()
                + d.program_code.len()
                + d.display_name.len()
                + d.organization.as_ref().map_or(0, |o| o.1.len())
                + d.region.as_ref().map_or(0, String::len)
        })
        .sum()
}

fn size_of_figures(figures: &ProgramFigures) -> usize {
    let rows: usize = figures
        .rows
        .iter()
        .map(|r| {
            std::mem::size_of::<DelegateRow>()
                + r.program_code.len()
                + r.display_name.len()
                + r.organization.as_ref().map_or(0, |o| o.1.len())
                + r.region.as_ref().map_or(0, String::len)
        })
        .sum();
    rows + std::mem::size_of::<ProgramFigures>()
        + figures.dashboard.silent_delegate_ids.len() * std::mem::size_of::<UserId>()
}
