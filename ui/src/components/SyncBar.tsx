// The status bar at the bottom of the app frame: how marketplace sync stands
// (synced, offline with queued changes, failed, conflicts, token expired,
// sharing off) and a "Sync now" button. Hidden while no marketplace is connected.
import { useEffect, useState } from "preact/hooks";
import { go, syncNow, syncRun, syncStatus } from "../state";
import { ProgressPanel } from "./ProgressPanel";

/** "just now", "2 min ago", "3 h ago", "4 days ago". */
export function ago(at: string, now: number): string {
  const minutes = Math.floor((now - Date.parse(at)) / 60000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)} h ago`;
  return `${Math.floor(minutes / (24 * 60))} days ago`;
}

export function SyncBar() {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    // Only the "… ago" text needs this; the status itself comes from events.
    const timer = setInterval(() => setNow(Date.now()), 30000);
    return () => clearInterval(timer);
  }, []);
  const status = syncStatus.value;
  if (!status || status.accounts.length === 0) return null;
  const run = syncRun.value;
  const parts: string[] = [];
  if (status.sharing_off) parts.push("Sharing is off");
  switch (status.state) {
    case "token_expired":
      parts.push("Token expired");
      break;
    case "offline":
      parts.push(`Offline — ${status.queued} queued`);
      break;
    default:
      parts.push(status.last_sync_at ? `Synced ${ago(status.last_sync_at, now)}` : "Not synced yet");
      parts.push(`${status.queued} queued`);
  }
  const failed = status.failed.length;
  const openSync = () => go({ screen: "settings", tab: "marketplaces" });
  return (
    <footer class="sync-bar" aria-label="Marketplace sync">
      <span role="status" data-testid="sync-status">
        {parts.join(" · ")}
      </span>
      {failed > 0 && (
        <button class="link" onClick={openSync}>
          {failed} failed
        </button>
      )}
      {status.conflicts > 0 && (
        <button class="link" onClick={openSync}>
          {status.conflicts} {status.conflicts === 1 ? "conflict" : "conflicts"}
        </button>
      )}
      {status.state === "token_expired" && (
        <button class="link" onClick={openSync}>
          Replace token
        </button>
      )}
      {run ? (
        <ProgressPanel progress={run === "starting" ? null : run} label="Syncing with marketplaces" />
      ) : (
        <button onClick={() => void syncNow()}>Sync now</button>
      )}
    </footer>
  );
}
