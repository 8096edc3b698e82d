// Unlock: the passphrase (or the keychain), with the recovery key as the way
// back when the usual credential is lost. Errors are explained by their code.
// The first unlock after an update backs the workspace up and updates it,
// which takes a while on a large one: the screen says so while it waits.
import { useState } from "preact/hooks";
import * as api from "../api";
import { Field } from "../components/Field";
import type { SessionState } from "../bindings/SessionState";
import { refreshSession } from "../state";

function explain(err: api.ApiError): string {
  switch (err.code) {
    case "wrong_passphrase":
      return "That passphrase is not right. Nothing was changed; try again.";
    case "wrong_recovery_key":
      return "That recovery key does not open this workspace. Check it letter by letter.";
    case "keychain_unavailable":
    case "keychain_entry_missing":
    case "keychain_mismatch":
      return `${api.describe(err)} You can use your recovery key instead.`;
    default:
      return api.describe(err);
  }
}

export function Unlock({ state }: { state: SessionState }) {
  const locked = state.workspace.state === "locked" ? state.workspace : null;
  const usesKeychain = locked?.protection === "keychain";
  const [secret, setSecret] = useState("");
  const [withRecovery, setWithRecovery] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [step, setStep] = useState<api.Progress | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (withRecovery) await api.session.unlockWithRecoveryKey(secret, setStep);
      else await api.session.unlock(usesKeychain ? null : secret, setStep);
      setSecret("");
      await refreshSession();
    } catch (raw) {
      setError(explain(api.asApiError(raw)));
    } finally {
      setBusy(false);
      setStep(null);
    }
  }

  return (
    <main class="centered">
      <h1>{locked?.name ?? "Bidwell"}</h1>
      <p class="muted">Locked. Your data stays encrypted until you unlock it.</p>
      <form onSubmit={submit} aria-label="Unlock">
        {withRecovery ? (
          <Field label="Recovery key" name="recovery" value={secret} onInput={setSecret} autoFocus required />
        ) : usesKeychain ? (
          <p>The key is in this computer's keychain.</p>
        ) : (
          <Field
            label="Passphrase"
            name="passphrase"
            type="password"
            value={secret}
            onInput={setSecret}
            autoFocus
            required
            autocomplete="current-password"
          />
        )}
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        {busy && step && <UpdateStep step={step} />}
        <button class="primary" type="submit" disabled={busy}>
          {busy ? (step ? "Updating…" : "Unlocking…") : "Unlock"}
        </button>
        <button
          type="button"
          class="link"
          onClick={() => {
            setWithRecovery(!withRecovery);
            setSecret("");
            setError(null);
          }}
        >
          {withRecovery ? "Use the passphrase instead" : "I lost it: use my recovery key"}
        </button>
      </form>
    </main>
  );
}

/** Where the first unlock after an update is: the backup first, then the update. */
function UpdateStep({ step }: { step: api.Progress }) {
  const phase = step.phase.charAt(0).toUpperCase() + step.phase.slice(1);
  return (
    <div class="unlock-update" role="status" aria-live="polite" data-testid="unlock-update">
      <p>
        {phase}: step {step.done + 1} of {step.total}.
      </p>
      {/* A step's own progress is not known (the backup is one file copy): the bar only moves. */}
      <progress aria-label="Updating the workspace" />
      <p class="field-hint">
        This version of Bidwell changes how the workspace is stored. It backs the workspace up first (Settings →
        Backups keeps that backup), so nothing is lost if the update stops. On a large workspace this takes a while;
        keep Bidwell open.
      </p>
    </div>
  );
}
