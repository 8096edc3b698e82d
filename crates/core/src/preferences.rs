//! The user's preferences, kept inside the encrypted database (settings
//! table) so that nothing about the user sits in a plain config file.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::store::settings;
use crate::Workspace;

const KEY: &str = "preferences";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    /// Follow the operating system.
    #[default]
    System,
    Light,
    Dark,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct Preferences {
    pub theme: Theme,
    /// Lock after this many minutes without use; 0 never locks by itself.
    pub idle_lock_minutes: u32,
}

impl Default for Preferences {
    fn default() -> Self {
        Preferences { theme: Theme::System, idle_lock_minutes: 15 }
    }
}

impl Workspace {
    pub async fn preferences(&self) -> Result<Preferences> {
        let stored = settings::get(&self.pool().await, KEY).await?;
        // A value written by a newer or older version falls back field by field.
        Ok(stored.and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default())
    }

    pub async fn set_preferences(&self, preferences: &Preferences) -> Result<Preferences> {
        if preferences.idle_lock_minutes > 24 * 60 {
            return Err(Error::validation("idle_lock_minutes", "is at most 1440 (a day)"));
        }
        let value = serde_json::to_string(preferences).map_err(|e| Error::validation("preferences", e.to_string()))?;
        settings::put(&self.pool().await, KEY, &value, self.now()).await?;
        Ok(preferences.clone())
    }
}
