//! The durable position in a Freelancer listing, and the walk that pages
//! through one without skipping or repeating an item while the list moves.
//!
//! Freelancer pages by `offset` only, and its lists shift: a new project goes
//! to the top and pushes every other one down a place; a closed one leaves
//! and pulls the later ones up. An offset alone therefore repeats or skips.
//! Instead the position names the last item delivered by its sort key
//! (`time_submitted`, id) and keeps the offset only as a hint of where that
//! item was. Each page is read from a little before the hint (an overlap);
//! items listed at or before the last delivered key are dropped, so a push
//! down is absorbed; when the page starts after that key (more items left
//! above us than the overlap covers) the walk steps back a page, so a pull
//! up is never a skip. Both only rely on the list's total order and on new
//! items being listed before every older one (a new project is the newest;
//! a new bid or milestone has the highest id).
//!
//! A pass runs from the top of the list to its end. For the projects feed
//! (newest first) the key of the item at the top when the pass began
//! becomes the floor of the next pass, which delivers only what is newer:
//! a change feed. Bids and milestones (oldest first, statuses change in
//! place, no change time) are walked whole on every pass; within a pass
//! nothing repeats, across passes an item is delivered again with its
//! current status (the engine upserts by id).

use std::future::Future;

use crate::error::MarketError;
use crate::wire::Cursor;

/// A listing's sort key: (`time_submitted` or 0, id).
pub(crate) type Key = (i64, u64);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    NewestFirst,
    OldestFirst,
}

impl Order {
    /// Whether `a` is listed after `b`.
    fn after(self, a: Key, b: Key) -> bool {
        match self {
            Order::NewestFirst => a < b,
            Order::OldestFirst => a > b,
        }
    }
}

/// Where one pass through the list stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pass {
    /// The first item of the list when the pass began.
    top: Key,
    /// The last item delivered (none yet at the start).
    last: Option<Key>,
    /// How many items of the list were at or before `last` when it was read.
    offset: u64,
}

/// What a cursor carries: which listing, the floor and the pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Position {
    /// Newest-first feeds: items at or after this key came in earlier passes.
    floor: Option<Key>,
    pass: Option<Pass>,
}

const VERSION: &str = "fl1";

fn key_text(key: Option<Key>) -> String {
    key.map_or_else(|| "-".to_owned(), |(t, id)| format!("{t}.{id}"))
}

fn parse_key(text: &str) -> Option<Option<Key>> {
    if text == "-" {
        return Some(None);
    }
    let (t, id) = text.split_once('.')?;
    Some(Some((t.parse().ok()?, id.parse().ok()?)))
}

impl Position {
    /// `kind` names the listing (and, for jobs, the query), so a cursor of
    /// one feed is never taken for another's. No `:` in it.
    pub(crate) fn encode(&self, kind: &str) -> Cursor {
        let pass = match self.pass {
            None => "-:-:-".to_owned(),
            Some(p) => format!("{}:{}:{}", key_text(Some(p.top)), key_text(p.last), p.offset),
        };
        Cursor(format!("{VERSION}:{kind}:{}:{pass}", key_text(self.floor)))
    }

    /// A cursor this adapter did not write (another kind, an older format,
    /// damage) is `CursorExpired`: the engine then resyncs from the start.
    pub(crate) fn decode(cursor: Option<&Cursor>, kind: &str) -> Result<Position, MarketError> {
        let Some(cursor) = cursor else { return Ok(Position::default()) };
        let parse = || -> Option<Position> {
            let parts: Vec<&str> = cursor.as_str().split(':').collect();
            let [version, k, floor, top, last, offset] = parts.as_slice() else { return None };
            if *version != VERSION || *k != kind {
                return None;
            }
            let floor = parse_key(floor)?;
            let pass = match (parse_key(top)?, *offset) {
                (None, "-") if *last == "-" => None,
                (Some(top), offset) => Some(Pass { top, last: parse_key(last)?, offset: offset.parse().ok()? }),
                _ => return None,
            };
            Some(Position { floor, pass })
        };
        parse().ok_or(MarketError::CursorExpired)
    }
}

/// How a walk reads the list.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Walk {
    pub order: Order,
    /// Items re-read before the hint on every page; at least 1. With none,
    /// a `last` that ends a page looks the same as one with items missing
    /// after it, and the walk would step back and forth between the pages.
    pub overlap: u64,
    /// Items asked per request (the server's cap at most).
    pub page: u64,
    /// Requests one call may make; the walk stops there and resumes later.
    pub max_requests: usize,
}

/// What one call delivered and where the next one starts.
#[derive(Debug)]
pub(crate) struct Walked<T> {
    pub items: Vec<T>,
    pub position: Position,
    /// The pass is not finished: call again now.
    pub has_more: bool,
}

impl Walk {
    /// Up to `want` items after `position`. `fetch(offset, limit)` reads one
    /// page, in listing order, each item with its key.
    pub(crate) async fn run<T, F, Fut>(
        &self,
        mut position: Position,
        want: usize,
        mut fetch: F,
    ) -> Result<Walked<T>, MarketError>
    where
        F: FnMut(u64, u64) -> Fut,
        Fut: Future<Output = Result<Vec<(Key, T)>, MarketError>>,
    {
        debug_assert!(self.overlap >= 1 && self.overlap < self.page, "see `Walk::overlap`");
        let mut items = Vec::new();
        for _ in 0..self.max_requests {
            let offset = position.pass.map_or(0, |p| p.offset.saturating_sub(self.overlap));
            let page = fetch(offset, self.page).await?;
            let end = (page.len() as u64) < self.page;
            let mut pass = match position.pass {
                Some(pass) => pass,
                None => match page.first() {
                    Some((top, _)) => Pass { top: *top, last: None, offset: 0 },
                    // An empty list: nothing to deliver, nothing to remember.
                    None => return Ok(Walked { items, position, has_more: false }),
                },
            };
            // More items left above us than the overlap covers: the ones
            // just after `last` are on an earlier page now (or the page is
            // empty: so many left that the list ends before our offset).
            let starts_after_last = match (pass.last, page.first()) {
                (Some(last), Some((first, _))) => self.order.after(*first, last),
                (Some(_), None) => true,
                (None, _) => false,
            };
            if offset > 0 && starts_after_last {
                pass.offset = offset.saturating_sub(self.page) + self.overlap;
                position.pass = Some(pass);
                continue;
            }
            let mut reached_floor = false;
            let mut full = false;
            for (index, (key, item)) in page.into_iter().enumerate() {
                if position.floor.is_some_and(|floor| !self.order.after(floor, key)) {
                    reached_floor = true;
                    break;
                }
                if pass.last.is_none_or(|last| self.order.after(key, last)) {
                    if items.len() == want {
                        full = true;
                        break;
                    }
                    items.push(item);
                    pass.last = Some(key);
                }
                // Delivered now or before: the next read starts after it.
                pass.offset = offset + index as u64 + 1;
            }
            if reached_floor || (end && !full) {
                position.floor = match self.order {
                    Order::NewestFirst => Some(position.floor.map_or(pass.top, |floor| floor.max(pass.top))),
                    Order::OldestFirst => None,
                };
                position.pass = None;
                return Ok(Walked { items, position, has_more: false });
            }
            position.pass = Some(pass);
            if full || items.len() == want {
                break;
            }
        }
        Ok(Walked { items, position, has_more: true })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_mean_resync() {
        let mid = Position {
            floor: Some((1_700_000_000, 40_000_001)),
            pass: Some(Pass { top: (1_800_000_000, 40_000_090), last: Some((1_750_000_000, 40_000_050)), offset: 17 }),
        };
        for position in [Position::default(), mid, Position { floor: Some((5, 6)), pass: None }] {
            assert_eq!(Position::decode(Some(&position.encode("j1")), "j1"), Ok(position));
        }
        assert_eq!(Position::decode(None, "j1"), Ok(Position::default()));
        assert_eq!(Position::decode(Some(&mid.encode("b")), "j1"), Err(MarketError::CursorExpired));
        assert_eq!(Position::decode(Some(&mid.encode("j2")), "j1"), Err(MarketError::CursorExpired));
        for junk in ["", "fl1", "fl0:j:-:-:-:-", "fl1:j:x:-:-:-", "fl1:j:-:1.2:-:", "opaque-from-bidwell"] {
            assert_eq!(
                Position::decode(Some(&Cursor(junk.to_owned())), "j"),
                Err(MarketError::CursorExpired),
                "{junk}"
            );
        }
    }

    /// A list that shifts at random between calls, walked to the end of a
    /// pass many times over: nothing present from start to end is skipped,
    /// nothing is delivered twice, nothing added during the pass comes in
    /// it; and for newest-first lists the next pass brings exactly the
    /// additions still present.
    #[tokio::test]
    async fn random_shifts_never_skip_or_repeat() {
        use rand::{Rng, SeedableRng};
        use std::collections::HashSet;
        use std::sync::Mutex;

        for order in [Order::NewestFirst, Order::OldestFirst] {
            for seed in 0..200u64 {
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
                let mut next_id = 1_000u64;
                let mut initial: Vec<Key> = (0..rng.gen_range(0..120))
                    .map(|_| {
                        next_id += 1;
                        (if order == Order::NewestFirst { rng.gen_range(0..50) } else { 0 }, next_id)
                    })
                    .collect();
                initial.sort_by(|a, b| match order {
                    Order::NewestFirst => b.cmp(a),
                    Order::OldestFirst => a.cmp(b),
                });
                let list = Mutex::new(initial.clone());
                // One page of the list as it is now, each key its own item.
                fn page_of(list: &Mutex<Vec<Key>>, offset: u64, limit: u64) -> Vec<(Key, Key)> {
                    list.lock().unwrap().iter().skip(offset as usize).take(limit as usize).map(|k| (*k, *k)).collect()
                }
                let walk = Walk { order, overlap: rng.gen_range(1..5), page: rng.gen_range(5..20), max_requests: 3 };
                let mut position = Position::default();
                let mut delivered = Vec::new();
                let mut added = Vec::new();
                let mut newest = (60, 0u64);
                for _call in 0..2_000 {
                    let want = rng.gen_range(1..12);
                    let walked = walk
                        .run(position, want, |offset, limit| {
                            let page = page_of(&list, offset, limit);
                            async move { Ok(page) }
                        })
                        .await
                        .unwrap();
                    assert!(walked.items.len() <= want);
                    delivered.extend(walked.items);
                    position = walked.position;
                    if !walked.has_more {
                        break;
                    }
                    // The list moves: some close anywhere, some new ones arrive.
                    let mut items = list.lock().unwrap();
                    for _ in 0..rng.gen_range(0..4) {
                        if !items.is_empty() && rng.gen_bool(0.7) {
                            let at = rng.gen_range(0..items.len());
                            items.remove(at);
                        }
                    }
                    for _ in 0..rng.gen_range(0..4) {
                        next_id += 1;
                        newest = (newest.0 + rng.gen_range(0..2), next_id);
                        let key = if order == Order::NewestFirst { newest } else { (0, next_id) };
                        added.push(key);
                        match order {
                            Order::NewestFirst => items.insert(0, key),
                            Order::OldestFirst => items.push(key),
                        }
                    }
                }
                let unique: HashSet<Key> = delivered.iter().copied().collect();
                assert_eq!(unique.len(), delivered.len(), "{order:?} seed {seed}: delivered twice");
                let end: HashSet<Key> = list.lock().unwrap().iter().copied().collect();
                for key in &initial {
                    assert!(!end.contains(key) || unique.contains(key), "{order:?} seed {seed}: skipped {key:?}");
                }
                if order == Order::NewestFirst {
                    assert!(delivered.iter().all(|k| initial.contains(k)), "seed {seed}: a new one came early");
                    // The next pass: the additions still listed, once.
                    let walked = Walk { max_requests: 1_000, ..walk }
                        .run(position, 10_000, |offset, limit| {
                            let page = page_of(&list, offset, limit);
                            async move { Ok(page) }
                        })
                        .await
                        .unwrap();
                    let mut got = walked.items;
                    got.sort();
                    let mut want: Vec<Key> = added.iter().copied().filter(|k| end.contains(k)).collect();
                    want.sort();
                    assert_eq!(got, want, "seed {seed}: the next pass");
                    assert!(!walked.has_more);
                }
            }
        }
    }
}
