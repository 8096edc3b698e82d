// The frame: picks first run, unlock or the app from the session state, and
// inside the app shows the navigation, the current screen, the sync status
// bar, notices and the overlays (command palette, shortcuts).
import { useEffect } from "preact/hooks";
import { listen } from "@tauri-apps/api/event";
import * as api from "./api";
import { FirstRun } from "./screens/FirstRun";
import { Unlock } from "./screens/Unlock";
import { Screen, NAVIGATION } from "./screens";
import { dismiss, go, notices, notify, refreshSession, refreshSync, route, sessionError, sessionState } from "./state";
import { SyncBar } from "./components/SyncBar";
import { Overlays } from "./screens/Overlays";
import { applyTheme } from "./theme";

export function App() {
  useEffect(() => {
    void refreshSession();
    const stop = listen("session-locked", () => {
      notify("Locked after a while without use.");
      void refreshSession();
    });
    return () => void stop.then((unlisten) => unlisten());
  }, []);

  const state = sessionState.value;
  if (sessionError.value) {
    return (
      <main class="centered">
        <h1>Bidwell</h1>
        <p class="form-error" role="alert">
          The workspace could not be read ({sessionError.value.code}): {sessionError.value.message}
        </p>
      </main>
    );
  }
  if (!state) return <main class="centered" aria-busy="true" />;
  if (state.workspace.state === "missing") return <FirstRun />;
  if (!state.unlocked) return <Unlock state={state} />;
  return <Workspace />;
}

function Workspace() {
  useEffect(() => {
    void api.session.preferences().then((p) => applyTheme(p.theme));
    void refreshSync();
    // The shell's background sync says when it ran.
    const stop = listen("sync-changed", () => void refreshSync());
    return () => void stop.then((unlisten) => unlisten());
  }, []);
  const current = route.value.screen === "client" ? "clients" : route.value.screen;
  async function lockNow() {
    await api.session.lock();
    await refreshSession();
  }
  return (
    <div class="frame">
      <nav class="sidebar" aria-label="Main">
        <p class="brand">Bidwell</p>
        <ul>
          {NAVIGATION.map((item) => (
            <li key={item.screen}>
              <button
                class={current === item.screen ? "nav active" : "nav"}
                aria-current={current === item.screen ? "page" : undefined}
                onClick={() => go({ screen: item.screen })}
              >
                {item.label}
                <kbd>{item.key}</kbd>
              </button>
            </li>
          ))}
        </ul>
        <button class="nav lock" onClick={() => void lockNow()}>
          Lock
        </button>
      </nav>
      <section class="content">
        <Screen route={route.value} />
      </section>
      <SyncBar />
      <Overlays />
      <div class="notices" aria-live="polite">
        {notices.value.map((n) => (
          <div class={`notice ${n.tone}`} key={n.id} role={n.tone === "error" ? "alert" : "status"}>
            <span>{n.text}</span>
            {n.undo && (
              <button
                onClick={() => {
                  dismiss(n.id);
                  void n.undo?.();
                }}
              >
                Undo
              </button>
            )}
            <button aria-label="Dismiss" onClick={() => dismiss(n.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </div>
  );
}
