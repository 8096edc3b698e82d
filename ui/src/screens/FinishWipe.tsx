// An interrupted wipe: the user already confirmed it by typing the
// workspace's name, and its key may already be destroyed, so the only way on
// is to finish it. Shown only when the wipe's marker file is there; a key
// file missing for another reason stays an error on the first screen.
import { useState } from "preact/hooks";
import * as api from "../api";
import { refreshSession } from "../state";

export function FinishWipe({ name }: { name: string }) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function finish() {
    setBusy(true);
    setError(null);
    try {
      await api.privacy.wipe(name);
      await refreshSession();
    } catch (raw) {
      setError(api.describe(api.asApiError(raw)));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="centered">
      <h1>{name}</h1>
      <p>
        Wiping this workspace was started and did not finish. It can no longer be opened: finish wiping to remove
        what is left of it.
      </p>
      <button class="danger" onClick={() => void finish()} disabled={busy} aria-busy={busy}>
        Finish wiping
      </button>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
    </main>
  );
}
