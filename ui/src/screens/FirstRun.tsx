// First run: name the workspace, choose keychain or passphrase, optionally
// fill it with sample data (with progress and cancel), then show the recovery
// key once and continue only after "I saved it" (which the core records, so a
// key nobody confirmed keeps being asked about).
import { useState } from "preact/hooks";
import * as api from "../api";
import type { SeedSummary } from "../bindings/SeedSummary";
import { Field } from "../components/Field";
import { ProgressPanel } from "../components/ProgressPanel";
import { notify, refreshSession, syncNow } from "../state";

const MIN_PASSPHRASE = 8;

export function FirstRun() {
  const [name, setName] = useState("My workspace");
  const [useKeychain, setUseKeychain] = useState(false);
  const [shareUsage, setShareUsage] = useState(false);
  const [passphrase, setPassphrase] = useState("");
  const [repeat, setRepeat] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [recoveryKey, setRecoveryKey] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const [seeding, setSeeding] = useState<api.Progress | null | undefined>(undefined);
  const [sample, setSample] = useState<SeedSummary | null>(null);
  const [demo, setDemo] = useState<"connected" | string | null>(null);
  // Which wire format the sample marketplace speaks, to try each path.
  const [demoKind, setDemoKind] = useState<api.MarketAccount["kind"]>("bidwell");

  if (seeding !== undefined) {
    return (
      <main class="centered">
        <h1>Adding sample data</h1>
        <p>Clients, projects, jobs, bids and tasks made up for trying Bidwell out. Delete them whenever you like.</p>
        <ProgressPanel progress={seeding} label="Writing sample records" />
      </main>
    );
  }

  if (recoveryKey) {
    return (
      <main class="centered">
        <h1>Your recovery key</h1>
        <p>
          If the {useKeychain ? "keychain entry" : "passphrase"} is ever lost, this key is the only way back into your
          data. Write it down or print it, and keep it away from this computer. It is shown only now.
        </p>
        {sample && (
          <p data-testid="sample-summary">
            {sample.cancelled ? "Sample data stopped early: " : "Sample data added: "}
            {sample.clients} clients, {sample.projects} projects, {sample.jobs} jobs, {sample.bids} bids and{" "}
            {sample.tasks} tasks.
          </p>
        )}
        {demo === "connected" && (
          <p data-testid="demo-market">
            A demo marketplace runs inside Bidwell on this computer (nothing leaves it): its jobs arrive with the first
            sync, and you can bid on them.
          </p>
        )}
        {demo !== null && demo !== "connected" && (
          <p class="form-error" role="alert">
            The demo marketplace could not be connected: {demo}
          </p>
        )}
        <p class="recovery-key" data-testid="recovery-key" aria-label="Recovery key">
          {recoveryKey}
        </p>
        <label class="check">
          <input type="checkbox" checked={saved} onChange={(e) => setSaved(e.currentTarget.checked)} /> I saved my
          recovery key
        </label>
        <button class="primary" disabled={!saved} onClick={() => void continueIn()}>
          Continue
        </button>
      </main>
    );
  }

  async function continueIn() {
    try {
      await api.session.confirmRecoveryKeySaved();
    } catch (raw) {
      // The workspace then keeps asking for a new recovery key (its banner).
      notify(`Could not record that you saved the recovery key: ${api.describe(api.asApiError(raw))}`, { tone: "error" });
    }
    await refreshSession();
    // The demo's jobs arrive with the first sync; no reason to wait for the timer.
    if (demo === "connected") void syncNow();
  }

  async function submit(e: Event, withSampleData = false) {
    e.preventDefault();
    const found: Record<string, string> = {};
    if (!name.trim()) found["name"] = "Give the workspace a name.";
    if (!useKeychain) {
      if ([...passphrase].length < MIN_PASSPHRASE) found["passphrase"] = `Use at least ${MIN_PASSPHRASE} characters.`;
      else if (passphrase !== repeat) found["repeat"] = "The two passphrases differ.";
    }
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      const key = await api.session.create(name, useKeychain ? null : passphrase);
      setPassphrase("");
      setRepeat("");
      if (shareUsage) await api.privacy.setAnalytics(true);
      if (withSampleData) {
        setSeeding(null);
        try {
          setSample(await api.work.seedSampleData(setSeeding));
        } finally {
          setSeeding(undefined);
        }
        // Apart, so that a demo that fails still shows the recovery key.
        try {
          await api.sync.connectDemo(demoKind);
          setDemo("connected");
        } catch (raw) {
          setDemo(api.describe(api.asApiError(raw)));
        }
      }
      setRecoveryKey(key);
    } catch (raw) {
      const err = api.asApiError(raw);
      if (err.code === "validation") {
        setErrors(api.formErrors(err, (field) => (field === "passphrase" || field === "name" ? field : undefined)));
      } else if (err.code === "keychain_unavailable") {
        setUseKeychain(false);
        setErrors({ form: `${api.describe(err)}. Choose a passphrase instead.` });
      } else {
        setErrors({ form: api.describe(err) });
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="centered">
      <h1>Welcome to Bidwell</h1>
      <p>Everything you keep here is encrypted on this computer. Nothing leaves it unless you connect a marketplace.</p>
      <form onSubmit={submit} aria-label="Create your workspace">
        <Field label="Workspace name" name="name" value={name} onInput={setName} error={errors["name"]} required />
        <fieldset>
          <legend>How to unlock it</legend>
          <label class="check">
            <input type="radio" name="protection" checked={!useKeychain} onChange={() => setUseKeychain(false)} />A
            passphrase I type
          </label>
          <label class="check">
            <input type="radio" name="protection" checked={useKeychain} onChange={() => setUseKeychain(true)} />
            The system keychain (no typing; anyone who can use this account can open it)
          </label>
        </fieldset>
        {!useKeychain && (
          <>
            <Field
              label="Passphrase"
              name="passphrase"
              type="password"
              value={passphrase}
              onInput={setPassphrase}
              error={errors["passphrase"]}
              hint={`At least ${MIN_PASSPHRASE} characters; a few unrelated words work well.`}
              autocomplete="new-password"
            />
            <Field
              label="Repeat the passphrase"
              name="repeat"
              type="password"
              value={repeat}
              onInput={setRepeat}
              error={errors["repeat"]}
              autocomplete="new-password"
            />
          </>
        )}
        <fieldset>
          <legend>Anonymous usage counts</legend>
          <label class="check">
            <input type="radio" name="analytics" checked={!shareUsage} onChange={() => setShareUsage(false)} />
            No, keep everything on this computer
          </label>
          <label class="check">
            <input type="radio" name="analytics" checked={shareUsage} onChange={() => setShareUsage(true)} />
            Yes, share counts of what I use (no names, no text) with marketplaces I connect
          </label>
        </fieldset>
        {errors["form"] && (
          <p class="form-error" role="alert">
            {errors["form"]}
          </p>
        )}
        <div class="form-actions">
          <button class="primary" type="submit" disabled={busy}>
            {busy ? "Creating…" : "Create workspace"}
          </button>
          <button type="button" disabled={busy} onClick={(e) => void submit(e, true)}>
            Try with sample data
          </button>
          <label class="inline">
            <span class="muted small">its demo marketplace works like </span>
            <select
              id="field-demo-kind"
              aria-label="The demo marketplace works like"
              value={demoKind}
              onChange={(e) => setDemoKind(e.currentTarget.value as api.MarketAccount["kind"])}
            >
              <option value="bidwell">Bidwell's own</option>
              <option value="freelancer">Freelancer.com</option>
              <option value="upwork">Upwork</option>
            </select>
          </label>
        </div>
      </form>
    </main>
  );
}
