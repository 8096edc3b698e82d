//! The client side of Upwork's rate limit (10 requests per second per
//! client, 429 beyond): a sliding window over the send times of the last
//! requests. Every request of one account waits its turn here, whichever
//! clone of the client sends it and however many calls run at once; the
//! waiters are served in arrival order (tokio's mutex is fair).
//!
//! The window is a little longer than a second. A request is stamped when
//! it leaves the limiter; it reaches the server a moment later, and how
//! much later varies (scheduling on a busy machine, connection setup, the
//! network). Without the margin two requests a full second apart here could
//! land inside one second there.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// Upwork's documented limit.
pub(crate) const REQUESTS_PER_SECOND: usize = 10;
/// One second, and the margin for the way from here to the server.
pub(crate) const WINDOW: Duration = Duration::from_millis(1_150);

pub(crate) struct RateLimiter {
    max: usize,
    window: Duration,
    /// When each of the last `max` requests was let through, oldest first.
    sent: Mutex<VecDeque<Instant>>,
}

impl RateLimiter {
    pub(crate) fn new(max: usize, window: Duration) -> RateLimiter {
        RateLimiter { max: max.max(1), window, sent: Mutex::new(VecDeque::with_capacity(max)) }
    }

    /// Waits until one more request keeps every window of `window` at
    /// `max` requests or fewer, and counts it as sent now (returned).
    pub(crate) async fn acquire(&self) -> Instant {
        let mut sent = self.sent.lock().await;
        loop {
            let now = Instant::now();
            while sent.front().is_some_and(|at| *at + self.window <= now) {
                sent.pop_front();
            }
            if sent.len() < self.max {
                sent.push_back(now);
                return now;
            }
            let free_at = sent.front().map(|at| *at + self.window).unwrap_or(now);
            tokio::time::sleep_until(free_at).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// By the limiter's own stamps: no request is let through while `max`
    /// others are within the window before it.
    #[tokio::test]
    async fn no_window_holds_more_than_max() {
        let limiter = std::sync::Arc::new(RateLimiter::new(3, Duration::from_millis(40)));
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let limiter = limiter.clone();
            tasks.push(tokio::spawn(async move { limiter.acquire().await }));
        }
        let mut times = Vec::new();
        for task in tasks {
            times.push(task.await.unwrap());
        }
        times.sort();
        for (i, at) in times.iter().enumerate().skip(3) {
            assert!(*at >= times[i - 3] + Duration::from_millis(40), "request {i} came too soon");
        }
    }
}
