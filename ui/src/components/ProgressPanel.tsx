// Progress of long work (sample data, import, export, sync) with its Cancel
// button: the one place that draws a core `Progress` report.
import * as api from "../api";

export function ProgressPanel({ progress, label }: { progress: api.Progress | null; label: string }) {
  const total = progress && progress.total > 0 ? progress.total : 0;
  const done = progress ? Math.min(progress.done, total) : 0;
  return (
    <div class="progress-panel" role="status" aria-live="polite" data-testid="progress">
      <p>
        {label}
        {total > 0 && ` — ${done.toLocaleString()} of ${total.toLocaleString()}`}
      </p>
      <progress max={total || undefined} value={total ? done : undefined} aria-label={label} />
      <button
        type="button"
        disabled={!progress}
        onClick={() => progress && void api.work.cancel(progress.ticket)}
        aria-label={`Cancel: ${label}`}
      >
        Cancel
      </button>
    </div>
  );
}
