//! A desktop notification server on the test's D-Bus session bus
//! (`org.freedesktop.Notifications`, the interface every Linux desktop's
//! notification daemon serves). The app calls it as it would call GNOME's
//! or KDE's; the test reads what it was asked to show, and can press one of
//! the notification's buttons (the `ActionInvoked` signal a daemon sends).
//! It owns the name only while the value lives.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use zbus::zvariant::OwnedValue;

/// One notification the app asked for.
#[derive(Debug, Clone)]
pub struct Shown {
    /// The id the daemon gave it.
    pub id: u32,
    pub app_name: String,
    pub summary: String,
    pub body: String,
    /// Its buttons: identifier, label, identifier, label…
    pub actions: Vec<String>,
}

struct Daemon {
    shown: Arc<Mutex<Vec<Shown>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Daemon {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        _hints: HashMap<String, OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut shown = self.shown.lock().unwrap();
        let id = u32::try_from(shown.len() + 1).unwrap_or(u32::MAX);
        shown.push(Shown { id, app_name, summary, body, actions });
        id
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into(), "actions".into()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        ("bidwell-e2e".into(), "bidwell".into(), "1".into(), "1.2".into())
    }

    fn close_notification(&self, _id: u32) {}
}

pub struct NotificationServer {
    shown: Arc<Mutex<Vec<Shown>>>,
    connection: zbus::blocking::Connection,
}

impl NotificationServer {
    /// Takes the notification daemon's name on the session bus; panics (with
    /// why) when there is no session bus or another daemon has the name.
    pub fn start() -> NotificationServer {
        let shown = Arc::new(Mutex::new(Vec::new()));
        let daemon = Daemon { shown: shown.clone() };
        let connection = zbus::blocking::connection::Builder::session()
            .and_then(|b| b.name("org.freedesktop.Notifications"))
            .and_then(|b| b.serve_at("/org/freedesktop/Notifications", daemon))
            .and_then(|b| b.build())
            .unwrap_or_else(|e| {
                panic!("could not serve notifications on the session bus (run under dbus-run-session): {e}")
            });
        NotificationServer { shown, connection }
    }

    /// Waits at most `limit` for a notification whose summary is `summary`.
    pub fn wait_for(&self, summary: &str, limit: Duration) -> Shown {
        let start = Instant::now();
        loop {
            if let Some(found) = self.shown.lock().unwrap().iter().find(|s| s.summary == summary) {
                return found.clone();
            }
            assert!(start.elapsed() < limit, "no notification {summary:?} in {limit:?}; shown: {:?}", self.shown());
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Presses the button `action` of notification `id`, as a user clicking it.
    pub fn press(&self, id: u32, action: &str) {
        self.connection
            .emit_signal(
                None::<&str>,
                "/org/freedesktop/Notifications",
                "org.freedesktop.Notifications",
                "ActionInvoked",
                &(id, action),
            )
            .unwrap_or_else(|e| panic!("could not press {action:?} on notification {id}: {e}"));
    }

    pub fn shown(&self) -> Vec<Shown> {
        self.shown.lock().unwrap().clone()
    }
}
