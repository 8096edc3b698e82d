//! The durable position in an Upwork listing, and the walk that pages
//! through one by its GraphQL cursors without skipping or repeating an item
//! while the list moves.
//!
//! Upwork's cursors are opaque, but its documentation of
//! `Pagination.after` ("0" is the very first element) says they are
//! positions, and a position moves with the list: a posting published
//! between two pages pushes the rest down (the next page repeats one), one
//! closed above us pulls them up (the next page skips one). So the walk
//! does not trust a cursor to name an item. It remembers the last item it
//! delivered by its sort key and resumes from the cursor of an edge a few
//! items *before* that one (an overlap), dropping whatever is at or before
//! the key: a push down is absorbed. If the next page starts after the key,
//! items left above us and some may have been jumped over: the walk reads
//! the list again from the top, still dropping what it delivered. That
//! costs requests, never items, and holds whatever the cursors encode
//! (positions or items), as long as the list is totally ordered by the key
//! and new items come before every older one (the newest-first search) or
//! after (the oldest-first proposals).
//!
//! A pass over the newest-first search ends at the end of the list, or as
//! soon as it reaches the newest item of the previous pass (its floor):
//! later passes deliver only postings published since, a change feed.
//! Proposals are walked whole on every pass (their statuses change in
//! place); within a pass nothing repeats.

use std::future::Future;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::MarketError;
use crate::wire::Cursor;

/// A listing's sort key: (publish or creation time in milliseconds, id).
pub(crate) type Key = (i64, String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    NewestFirst,
    OldestFirst,
}

impl Order {
    /// Whether `a` is listed after `b`.
    fn after(self, a: &Key, b: &Key) -> bool {
        match self {
            Order::NewestFirst => a < b,
            Order::OldestFirst => a > b,
        }
    }
}

/// Where one pass stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Pass {
    /// The first item when the pass began (newest-first lists: anything
    /// listed before it came later and is left for the next pass).
    top: Option<Key>,
    /// The last item delivered.
    last: Option<Key>,
    /// Upwork's cursor to read on from (an edge a little before `last`);
    /// `None` reads from the top.
    resume: Option<String>,
}

/// What a cursor carries: which listing, the floor and the pass.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Position {
    /// Newest-first feeds: the newest item of the last finished pass.
    floor: Option<Key>,
    pass: Option<Pass>,
}

const VERSION: &str = "up1";

fn text_of(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text.as_bytes())
}

fn text_from(encoded: &str) -> Option<String> {
    String::from_utf8(URL_SAFE_NO_PAD.decode(encoded).ok()?).ok()
}

fn key_text(key: &Option<Key>) -> String {
    key.as_ref().map_or_else(|| "-".to_owned(), |(t, id)| format!("{t}.{}", text_of(id)))
}

fn parse_key(text: &str) -> Option<Option<Key>> {
    if text == "-" {
        return Some(None);
    }
    let (t, id) = text.split_once('.')?;
    Some(Some((t.parse().ok()?, text_from(id)?)))
}

impl Position {
    /// `kind` names the listing (and, for jobs, the query); no `:` in it.
    pub(crate) fn encode(&self, kind: &str) -> Cursor {
        let pass = match &self.pass {
            None => "~".to_owned(),
            Some(p) => format!(
                "{}:{}:{}",
                key_text(&p.top),
                key_text(&p.last),
                p.resume.as_deref().map_or_else(|| "-".to_owned(), text_of)
            ),
        };
        Cursor(format!("{VERSION}:{kind}:{}:{pass}", key_text(&self.floor)))
    }

    /// A cursor this adapter did not write (another listing, another
    /// format, damage) is `CursorExpired`: the engine then resyncs.
    pub(crate) fn decode(cursor: Option<&Cursor>, kind: &str) -> Result<Position, MarketError> {
        let Some(cursor) = cursor else { return Ok(Position::default()) };
        let parse = || -> Option<Position> {
            let parts: Vec<&str> = cursor.as_str().split(':').collect();
            let (version, k, floor, rest) = match parts.as_slice() {
                [version, k, floor, rest @ ..] => (*version, *k, *floor, rest),
                _ => return None,
            };
            if version != VERSION || k != kind {
                return None;
            }
            let floor = parse_key(floor)?;
            let pass = match rest {
                ["~"] => None,
                [top, last, resume] => Some(Pass {
                    top: parse_key(top)?,
                    last: parse_key(last)?,
                    resume: if *resume == "-" { None } else { Some(text_from(resume)?) },
                }),
                _ => return None,
            };
            Some(Position { floor, pass })
        };
        parse().ok_or(MarketError::CursorExpired)
    }
}

/// One edge of a page: Upwork's cursor of it, the item's key, the item.
pub(crate) struct Edge<T> {
    pub cursor: String,
    pub key: Key,
    pub item: T,
}

/// One page as read.
pub(crate) struct Fetched<T> {
    pub edges: Vec<Edge<T>>,
    pub has_next: bool,
}

/// How a walk reads the list.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Walk {
    pub order: Order,
    /// Items re-read before the last delivered one; at least 1, and below `page`.
    pub overlap: usize,
    /// Items asked per request.
    pub page: usize,
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
    /// Whether `key` was delivered in this pass already, or (newest first)
    /// was published after the pass began.
    fn seen(&self, pass: &Pass, key: &Key) -> bool {
        pass.last.as_ref().is_some_and(|last| !self.order.after(key, last))
            || (self.order == Order::NewestFirst && pass.top.as_ref().is_some_and(|top| key > top))
    }

    /// Up to `want` items after `position`. `fetch(after, first)` reads one
    /// page. A transient failure after some items were read ends the call
    /// with those items (and `has_more`), so progress is kept; any other
    /// failure, or one before anything was read, is returned.
    pub(crate) async fn run<T, F, Fut>(
        &self,
        mut position: Position,
        want: usize,
        mut fetch: F,
    ) -> Result<Walked<T>, MarketError>
    where
        F: FnMut(Option<String>, usize) -> Fut,
        Fut: Future<Output = Result<Fetched<T>, MarketError>>,
    {
        let mut items = Vec::new();
        let mut requests = 0;
        while items.len() < want {
            if requests == self.max_requests {
                return Ok(Walked { items, position, has_more: true });
            }
            let mut pass = position.pass.clone().unwrap_or_default();
            let fetched_with = pass.resume.clone();
            requests += 1;
            let page = match fetch(fetched_with.clone(), self.page).await {
                Ok(page) => page,
                Err(e) if e.is_transient() && !items.is_empty() => {
                    return Ok(Walked { items, position, has_more: true });
                }
                Err(e) => return Err(e),
            };
            // Read on from the middle: the page must begin with an item we
            // had (the overlap). If it does not, items left above us and
            // the ones after our last may now be above this page: read from the top.
            if fetched_with.is_some() {
                let jumped = page.edges.first().is_none_or(|edge| !self.seen(&pass, &edge.key));
                if jumped {
                    pass.resume = None;
                    position.pass = Some(pass);
                    continue;
                }
            }
            if fetched_with.is_none() && pass.last.is_none() && pass.top.is_none() {
                pass.top = page.edges.first().map(|edge| edge.key.clone());
            }
            let cursors: Vec<String> = page.edges.iter().map(|edge| edge.cursor.clone()).collect();
            let mut through: Option<usize> = None;
            let mut full = false;
            let mut reached_floor = false;
            for (i, edge) in page.edges.into_iter().enumerate() {
                if self.seen(&pass, &edge.key) {
                    through = Some(i);
                    continue;
                }
                if self.order == Order::NewestFirst && position.floor.as_ref().is_some_and(|floor| &edge.key <= floor) {
                    reached_floor = true;
                    break;
                }
                if items.len() == want {
                    full = true;
                    break;
                }
                items.push(edge.item);
                pass.last = Some(edge.key);
                through = Some(i);
            }
            if reached_floor || (!full && !page.has_next) {
                // The pass is over.
                let floor = match self.order {
                    Order::NewestFirst => pass.top.clone().max(position.floor.take()),
                    Order::OldestFirst => None,
                };
                return Ok(Walked { items, position: Position { floor, pass: None }, has_more: false });
            }
            if let Some(j) = through {
                pass.resume = if j >= self.overlap { Some(cursors[j - self.overlap].clone()) } else { fetched_with };
            }
            position.pass = Some(pass);
            if full {
                break;
            }
        }
        Ok(Walked { items, position, has_more: true })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use std::cell::RefCell;

    fn walk(order: Order) -> Walk {
        Walk { order, overlap: 3, page: 8, max_requests: 4 }
    }

    /// A list read by position, as the reference server pages: the cursor
    /// of an edge is the position after it.
    fn page_of(list: &[Key], after: Option<String>, first: usize) -> Result<Fetched<Key>, MarketError> {
        let start: usize = after.map_or(0, |a| a.parse().unwrap());
        let edges: Vec<Edge<Key>> = list
            .iter()
            .enumerate()
            .skip(start)
            .take(first)
            .map(|(i, key)| Edge { cursor: (i + 1).to_string(), key: key.clone(), item: key.clone() })
            .collect();
        Ok(Fetched { has_next: start + edges.len() < list.len(), edges })
    }

    fn sorted(order: Order, mut list: Vec<Key>) -> Vec<Key> {
        list.sort();
        if order == Order::NewestFirst {
            list.reverse();
        }
        list
    }

    #[test]
    fn cursors_round_trip_and_strangers_expire() {
        let position = Position {
            floor: Some((5, "a:b".to_owned())),
            pass: Some(Pass { top: Some((9, "x".to_owned())), last: None, resume: Some("17".to_owned()) }),
        };
        let cursor = position.encode("jfeed");
        assert_eq!(Position::decode(Some(&cursor), "jfeed").unwrap(), position);
        assert_eq!(Position::decode(Some(&cursor), "b").unwrap_err(), MarketError::CursorExpired);
        let done = Position { floor: None, pass: None }.encode("b");
        assert_eq!(Position::decode(Some(&done), "b").unwrap(), Position::default());
        for damaged in ["", "up1", "fl1:b:-:-:-:0", "up1:b:-:1:2", "up1:b:x.y:~"] {
            assert!(Position::decode(Some(&Cursor(damaged.to_owned())), "b").is_err(), "{damaged}");
        }
    }

    /// Lists that change at random between calls (removals anywhere,
    /// additions where new items go): every pass delivers each item that
    /// was listed all along exactly once and nothing twice, and the next
    /// pass of the newest-first feed brings exactly the additions still listed.
    #[test]
    fn random_changes_between_calls_neither_skip_nor_repeat() {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        for order in [Order::NewestFirst, Order::OldestFirst] {
            for seed in 0..150u64 {
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
                let mut next = 1_000i64;
                let mut list: Vec<Key> = (0..rng.gen_range(0..60))
                    .map(|_| {
                        next += rng.gen_range(0..3);
                        (next, format!("{next:08}{}", rng.gen_range(0..9)))
                    })
                    .collect();
                list.dedup();
                let list = RefCell::new(sorted(order, list));
                let at_start: Vec<Key> = list.borrow().clone();
                let mut removed: Vec<Key> = Vec::new();
                let mut added: Vec<Key> = Vec::new();
                let mut position = Position::default();
                let mut got: Vec<Key> = Vec::new();
                for _ in 0..500 {
                    let walked = runtime
                        .block_on(walk(order).run(position.clone(), rng.gen_range(1..6), |after, first| {
                            let list = list.borrow().clone();
                            async move { page_of(&list, after, first) }
                        }))
                        .unwrap();
                    got.extend(walked.items);
                    position = walked.position;
                    if !walked.has_more {
                        break;
                    }
                    let mut current = list.borrow_mut();
                    for _ in 0..rng.gen_range(0..8) {
                        if !current.is_empty() && rng.gen_bool(0.5) {
                            let at = rng.gen_range(0..current.len());
                            let gone = current.remove(at);
                            removed.push(gone);
                        }
                    }
                    if rng.gen_bool(0.4) {
                        next += 1;
                        let new = (next, format!("{next:08}9"));
                        added.push(new.clone());
                        current.push(new);
                        let again = sorted(order, std::mem::take(&mut *current));
                        *current = again;
                    }
                }
                let mut unique = got.clone();
                unique.sort();
                unique.dedup();
                assert_eq!(unique.len(), got.len(), "seed {seed} {order:?}: an item twice");
                for key in at_start.iter().filter(|k| !removed.contains(k)) {
                    assert!(got.contains(key), "seed {seed} {order:?}: {key:?} listed all along was skipped");
                }
                if order == Order::NewestFirst {
                    assert!(got.iter().all(|k| at_start.contains(k)), "seed {seed}: only what was there at the start");
                    let mut second = Vec::new();
                    for _ in 0..100 {
                        let walked = runtime
                            .block_on(walk(order).run(position.clone(), 4, |after, first| {
                                let list = list.borrow().clone();
                                async move { page_of(&list, after, first) }
                            }))
                            .unwrap();
                        second.extend(walked.items);
                        position = walked.position;
                        if !walked.has_more {
                            break;
                        }
                    }
                    let mut expected: Vec<Key> = added.iter().filter(|k| list.borrow().contains(k)).cloned().collect();
                    expected.sort();
                    second.sort();
                    assert_eq!(second, expected, "seed {seed}: the next pass brings the additions");
                }
            }
        }
    }
}
