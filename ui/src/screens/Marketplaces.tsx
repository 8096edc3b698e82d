// Settings → Marketplaces: connected accounts and their state (the demo
// marketplace of "Try with sample data" marked as such), connecting a new
// one, replacing an expired token, saved job searches, the changes that
// failed (with Retry) and conflicts to settle side by side. Disconnect asks
// first, saying how many queued changes will never be sent.
import { useEffect, useState } from "preact/hooks";
import * as api from "../api";
import type { ConnectionState } from "../bindings/ConnectionState";
import { Field } from "../components/Field";
import { notify, refreshSync, syncNow, syncRun, syncStatus } from "../state";
import { ago } from "../components/SyncBar";
import { formatMoney } from "../money";

const STATE_TEXT: Record<ConnectionState, string> = {
  unknown: "Not synced yet",
  online: "Online",
  offline: "Offline",
  token_expired: "Sign in again",
};

export const KIND_LABEL: Record<api.MarketAccount["kind"], string> = {
  bidwell: "Bidwell-compatible",
  freelancer: "Freelancer.com",
  upwork: "Upwork",
};

export function Marketplaces() {
  const [accounts, setAccounts] = useState<api.MarketAccount[]>([]);
  const [searches, setSearches] = useState<api.SavedSearch[]>([]);
  const [conflicts, setConflicts] = useState<api.SyncConflict[]>([]);
  const [removing, setRemoving] = useState<api.AccountRemoval | null>(null);
  async function askToRemove(account: api.MarketAccount) {
    try {
      setRemoving(await api.sync.removalPreview(account.id));
    } catch (raw) {
      notify(`${account.name} cannot be disconnected: ${api.describe(api.asApiError(raw))}`, { tone: "error" });
    }
  }
  const [demo, setDemo] = useState<string | null>(null);
  async function load() {
    const [a, s, c, d] = await Promise.all([
      api.sync.accounts(),
      api.sync.savedSearches(),
      api.sync.conflicts(),
      api.sync.demoAccount(),
    ]);
    setAccounts(a);
    setSearches(s);
    setConflicts(c);
    setDemo(d);
    await refreshSync();
  }
  // Reload after every sync run (ours or the background one, via the status).
  useEffect(() => void load(), [syncStatus.value?.last_sync_at, syncStatus.value?.conflicts]);
  return (
    <>
      <section aria-labelledby="market-accounts">
        <h2 id="market-accounts">Connected marketplaces</h2>
        {accounts.length === 0 ? (
          <p class="muted">No marketplace is connected. Connecting one shares the bids you submit with it.</p>
        ) : (
          <table class="pipeline-table" aria-label="Marketplace accounts">
            <thead>
              <tr>
                <th>Name</th>
                <th>Marketplace</th>
                <th>Address</th>
                <th>State</th>
                <th>Last sync</th>
                <th>Token kept in</th>
                <th>Problem</th>
                <th>
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {accounts.map((a) => (
                <tr key={a.id}>
                  <td>{a.name}</td>
                  <td>
                    {KIND_LABEL[a.kind]}
                    <CapabilityLine capabilities={a.capabilities} />
                  </td>
                  <td>{a.id === demo ? <em>Inside Bidwell</em> : <code>{a.base_url}</code>}</td>
                  <td>{STATE_TEXT[a.connection]}</td>
                  <td>{a.last_sync_at ? ago(a.last_sync_at, Date.now()) : "never"}</td>
                  <td>{a.token_store === "keychain" ? "System keychain" : "Encrypted workspace"}</td>
                  <td>{a.last_error ?? ""}</td>
                  <td>
                    <button class="small" aria-label={`Disconnect ${a.name}`} onClick={() => void askToRemove(a)}>
                      Disconnect
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {removing && (
          <ConfirmRemoval
            plan={removing}
            onClose={async () => {
              setRemoving(null);
              await load();
            }}
          />
        )}
        {accounts.some((a) => a.id === demo) && (
          <p class="muted" data-testid="demo-market-note">
            <strong>Demo marketplace</strong> — runs inside Bidwell on this computer, nothing leaves it. Its jobs and
            employers are made up: bid on them to try Bidwell out.
          </p>
        )}
        {accounts.length > 0 && (
          <p>
            <button disabled={syncRun.value !== null} onClick={() => void syncNow().then(load)}>
              Test connection
            </button>
          </p>
        )}
        {accounts
          .filter((a) => a.connection === "token_expired")
          .map((a) =>
            a.sign_in ? <SignInAgain key={a.id} account={a} onDone={load} /> : <ReplaceToken key={a.id} account={a} onDone={load} />,
          )}
        <Connect onDone={load} />
      </section>
      {accounts.length > 0 && <SavedSearches accounts={accounts} searches={searches} onDone={load} />}
      <FailedChanges />
      {conflicts.length > 0 && <Conflicts conflicts={conflicts} onDone={load} />}
    </>
  );
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${Number(n) === 1 ? one : many}`;
}

/** The confirmation before disconnecting: what is lost and what stays. */
function ConfirmRemoval({ plan, onClose }: { plan: api.AccountRemoval; onClose: () => Promise<void> }) {
  const [busy, setBusy] = useState(false);
  async function remove() {
    setBusy(true);
    try {
      const done = await api.sync.removeAccount(plan.account_id);
      const revoked = done.revoke_note ? ` ${done.revoke_note[0]?.toUpperCase()}${done.revoke_note.slice(1)}.` : "";
      notify(
        done.keychain_note
          ? `${done.name} is disconnected, but ${done.keychain_note}.${revoked}`
          : `${done.name} is disconnected; its token is deleted.${revoked}`,
        done.keychain_note ? { tone: "error" } : {},
      );
    } catch (raw) {
      notify(`${plan.name} was not disconnected: ${api.describe(api.asApiError(raw))}`, { tone: "error" });
    }
    await onClose();
  }
  const unsent = Number(plan.unsent_changes);
  return (
    <section class="erase-panel" role="alertdialog" aria-labelledby="remove-title" aria-describedby="remove-what">
      <h3 id="remove-title">Disconnect {plan.name}?</h3>
      <div id="remove-what">
        <p>
          {unsent === 0
            ? "Every change has been sent; nothing waits in the queue."
            : `${plural(unsent, "queued change", "queued changes")} will never be sent to ${plan.name}.`}
          {Number(plan.back_to_draft) > 0 && ` ${plural(plan.back_to_draft, "bid goes", "bids go")} back to draft.`}
        </p>
        <p>
          {plural(plan.kept_jobs, "job", "jobs")}, {plural(plan.kept_bids, "bid", "bids")} and{" "}
          {plural(plan.kept_milestones, "milestone", "milestones")} from {plan.name} stay here as your own records, no
          longer synced: you move their statuses yourself. The token is deleted; the log of what was sent stays.
        </p>
      </div>
      <div class="form-actions">
        <button class="danger" disabled={busy} onClick={() => void remove()}>
          Disconnect {plan.name}
        </button>
        <button disabled={busy} onClick={() => void onClose()}>
          Cancel
        </button>
      </div>
    </section>
  );
}

/** Splits a validation error into its field, or keeps it for the form. */
function errorsOf(raw: unknown, fields: string[]): Record<string, string> {
  const err = api.asApiError(raw);
  return api.formErrors(err, (field) => (fields.includes(field) ? field : undefined));
}

/** What an adapter can and cannot do, in words, from its capabilities. */
export function capabilityText(c: api.Capabilities): { can: string[]; cannot: string[] } {
  const items: [boolean, string][] = [
    [c.list_jobs, "fetch jobs"],
    [c.submit_bid, "place bids"],
    [c.bids_recorded_only, "record bids you place on its website"],
    [c.edit_bid, "change a placed bid"],
    [c.withdraw_bid, "withdraw a bid"],
    [c.read_bids, "follow your bids' status"],
    [c.milestones, "milestones"],
    [c.erasure_requests, "erasure requests"],
    [c.consent, "your consent choices"],
  ];
  const can = items.filter(([yes]) => yes).map(([, what]) => what);
  const cannot = items.filter(([yes, what]) => !yes && what !== "record bids you place on its website").map(([, what]) => what);
  return { can, cannot };
}

function CapabilityLine({ capabilities, testid }: { capabilities: api.Capabilities; testid?: string }) {
  const { can, cannot } = capabilityText(capabilities);
  return (
    <p class="muted" data-testid={testid}>
      Can: {can.join(", ")}.{cannot.length > 0 && ` Cannot: ${cannot.join(", ")}.`}
    </p>
  );
}

type Method = "sign_in" | "token";

function Connect({ onDone }: { onDone: () => Promise<void> }) {
  const [kinds, setKinds] = useState<api.MarketKindInfo[]>([]);
  const [kind, setKind] = useState<string>("");
  const [method, setMethod] = useState<Method>("token");
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [token, setToken] = useState("");
  const [clientId, setClientId] = useState("");
  const [clientSecret, setClientSecret] = useState("");
  const [authorizeUrl, setAuthorizeUrl] = useState("");
  const [tokenUrl, setTokenUrl] = useState("");
  const [revokeUrl, setRevokeUrl] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [waiting, setWaiting] = useState<api.SignInStarted | null>(null);
  const info = kinds.find((k) => k.kind === kind);
  function choose(next: api.MarketKindInfo) {
    setKind(next.kind);
    setMethod(next.sign_in ? "sign_in" : "token");
    setAuthorizeUrl(next.sign_in?.authorize_url ?? "");
    setTokenUrl(next.sign_in?.token_url ?? "");
    setRevokeUrl(next.sign_in?.revoke_url ?? "");
    setErrors({});
  }
  useEffect(() => {
    void api.sync.kinds().then((all) => {
      setKinds(all);
      if (all[0]) choose(all[0]);
    });
  }, []);
  function account(): api.NewMarketAccount {
    const signIn =
      method === "sign_in"
        ? { authorize_url: authorizeUrl, token_url: tokenUrl, revoke_url: revokeUrl.trim() || null, scope: null, client_id: clientId }
        : null;
    return { name, kind: (info?.kind ?? "bidwell") as api.NewMarketAccount["kind"], base_url: url, sign_in: signIn };
  }
  async function connected(made: api.MarketAccount) {
    setName("");
    setUrl("");
    setToken("");
    setClientSecret("");
    setErrors({});
    // Where the token went, when not to the keychain (e.g. it did not answer).
    notify(`Connected ${made.name}${made.token_note ? `; ${made.token_note}` : ""}. Press Sync now to fetch jobs.`);
    await onDone();
  }
  const fields = ["name", "url", "token", "client_id", "authorize_url", "token_url", "revoke_url"];
  async function submit(e: Event) {
    e.preventDefault();
    try {
      if (method === "token") {
        await connected(await api.sync.addAccount(account(), token));
        return;
      }
      const started = await api.sync.beginSignIn({ account: account() }, clientSecret.trim() || null);
      setWaiting(started);
      try {
        await connected(await api.sync.finishSignIn(started.sign_in_id));
      } finally {
        setWaiting(null);
      }
    } catch (raw) {
      const err = api.asApiError(raw);
      if (err.code !== "cancelled") setErrors(errorsOf(raw, fields));
    }
  }
  return (
    <form class="stack" onSubmit={submit} aria-label="Connect a marketplace">
      <h3>Connect a marketplace</h3>
      <label class="field">
        <span>Marketplace</span>
        <select
          id="field-market-kind"
          aria-label="Marketplace kind"
          value={kind}
          disabled={waiting !== null}
          onChange={(e) => {
            const next = kinds.find((k) => k.kind === e.currentTarget.value);
            if (next) choose(next);
          }}
        >
          {kinds.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.label}
            </option>
          ))}
        </select>
      </label>
      {info && (
        <>
          <CapabilityLine capabilities={info.capabilities} testid="kind-capabilities" />
          <p class="field-hint">{info.how_to_connect}</p>
        </>
      )}
      <Field label="Name" name="market-name" value={name} onInput={setName} error={errors["name"]} required />
      <Field
        label="Address"
        name="market-url"
        type="url"
        value={url}
        onInput={setUrl}
        error={errors["url"]}
        hint={info?.default_base_url ? `Leave empty for ${info.default_base_url}` : "https://…"}
        required={!info?.default_base_url}
      />
      <fieldset disabled={waiting !== null}>
        <legend>How to connect</legend>
        <label class="check">
          <input type="radio" name="market-method" value="sign_in" checked={method === "sign_in"} onChange={() => setMethod("sign_in")} />
          Sign in in the browser
        </label>
        <label class="check">
          <input type="radio" name="market-method" value="token" checked={method === "token"} onChange={() => setMethod("token")} />
          Paste a token
        </label>
      </fieldset>
      {method === "token" ? (
        <Field label="API token" name="market-token" type="password" value={token} onInput={setToken} error={errors["token"]} required />
      ) : (
        <>
          <Field label="Client id" name="market-client-id" value={clientId} onInput={setClientId} error={errors["client_id"]} hint="Of the app you registered with the marketplace" required />
          <Field label="Client secret" name="market-client-secret" type="password" value={clientSecret} onInput={setClientSecret} hint="Only if the marketplace gave you one" />
          <details open={!info?.sign_in || ["authorize_url", "token_url", "revoke_url"].some((f) => errors[f])}>
            <summary>Sign-in addresses</summary>
            <Field label="Authorization address" name="market-authorize-url" type="url" value={authorizeUrl} onInput={setAuthorizeUrl} error={errors["authorize_url"]} required />
            <Field label="Token address" name="market-token-url" type="url" value={tokenUrl} onInput={setTokenUrl} error={errors["token_url"]} required />
            <Field label="Revocation address" name="market-revoke-url" type="url" value={revokeUrl} onInput={setRevokeUrl} error={errors["revoke_url"]} hint="Optional: where disconnecting revokes the sign-in" />
          </details>
        </>
      )}
      {errors["form"] && (
        <p class="form-error" role="alert">
          {errors["form"]}
        </p>
      )}
      {waiting ? (
        <WaitingForBrowser started={waiting} />
      ) : (
        <button type="submit">{method === "token" ? "Connect" : "Sign in"}</button>
      )}
    </form>
  );
}

/** While the browser signs in: the address (in case no browser opened) and Cancel. */
function WaitingForBrowser({ started }: { started: api.SignInStarted }) {
  return (
    <div class="stack" role="status" data-testid="sign-in-waiting">
      <p>
        Waiting for the browser… Sign in there and come back. If no browser opened, open this address:{" "}
        <code data-testid="sign-in-url" class="long-address">
          {started.browser_url}
        </code>
      </p>
      <p>
        <button type="button" onClick={() => void navigator.clipboard?.writeText(started.browser_url)}>
          Copy address
        </button>{" "}
        <button type="button" onClick={() => void api.sync.cancelSignIn(started.sign_in_id)}>
          Cancel sign-in
        </button>
      </p>
    </div>
  );
}

/** "Sign in again" for a signed-in account whose sign-in the marketplace refused. */
function SignInAgain({ account, onDone }: { account: api.MarketAccount; onDone: () => Promise<void> }) {
  const [waiting, setWaiting] = useState<api.SignInStarted | null>(null);
  async function again() {
    try {
      const started = await api.sync.beginSignIn({ again: account.id }, null);
      setWaiting(started);
      try {
        await api.sync.finishSignIn(started.sign_in_id);
        notify(`${account.name} is signed in again; what was queued goes out with the next sync.`);
      } finally {
        setWaiting(null);
      }
      await onDone();
    } catch (raw) {
      const err = api.asApiError(raw);
      if (err.code !== "cancelled") notify(api.describe(err), { tone: "error" });
    }
  }
  return (
    <section class="stack" aria-label={`Sign in to ${account.name} again`}>
      <h3>{account.name}: sign in again</h3>
      <p class="muted">The marketplace no longer accepts this sign-in. Nothing queued is lost: it goes out once you sign in.</p>
      {waiting ? <WaitingForBrowser started={waiting} /> : <button onClick={() => void again()}>Sign in again</button>}
    </section>
  );
}

function ReplaceToken({ account, onDone }: { account: api.MarketAccount; onDone: () => Promise<void> }) {
  const [token, setToken] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  async function submit(e: Event) {
    e.preventDefault();
    try {
      await api.sync.setToken(account.id, token);
      setToken("");
      setErrors({});
      notify(`New token saved for ${account.name}.`);
      await onDone();
    } catch (raw) {
      setErrors(errorsOf(raw, ["token"]));
    }
  }
  return (
    <form class="stack" onSubmit={submit} aria-label={`Replace the token of ${account.name}`}>
      <h3>{account.name}: the marketplace refused the token</h3>
      <Field label={`New API token for ${account.name}`} name={`token-${account.id}`} type="password" value={token} onInput={setToken} error={errors["token"] ?? errors["form"]} required />
      <button type="submit">Replace token</button>
    </form>
  );
}

function SavedSearches(props: { accounts: api.MarketAccount[]; searches: api.SavedSearch[]; onDone: () => Promise<void> }) {
  const [account, setAccount] = useState(props.accounts[0]?.id ?? "");
  const [name, setName] = useState("");
  const [query, setQuery] = useState("");
  const [skills, setSkills] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const accountName = (id: string) => props.accounts.find((a) => a.id === id)?.name ?? "";
  async function submit(e: Event) {
    e.preventDefault();
    try {
      const words = skills.split(",").map((s) => s.trim()).filter((s) => s !== "");
      await api.sync.addSavedSearch(account || (props.accounts[0]?.id ?? ""), name, query.trim() || null, words);
      setName("");
      setQuery("");
      setSkills("");
      setErrors({});
      await props.onDone();
    } catch (raw) {
      setErrors(errorsOf(raw, ["name", "query"]));
    }
  }
  return (
    <section aria-labelledby="saved-searches">
      <h2 id="saved-searches">Saved job searches</h2>
      <p class="muted">Every sync fetches new jobs matching these into Jobs.</p>
      {props.searches.length > 0 && (
        <table class="pipeline-table" aria-label="Saved searches">
          <thead>
            <tr>
              <th>Name</th>
              <th>Marketplace</th>
              <th>Words</th>
              <th>Skills</th>
            </tr>
          </thead>
          <tbody>
            {props.searches.map((s) => (
              <tr key={s.id}>
                <td>{s.name}</td>
                <td>{accountName(s.account_id)}</td>
                <td>{s.query ?? ""}</td>
                <td>{s.skills.join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form class="stack" onSubmit={submit} aria-label="Add a saved search">
        {props.accounts.length > 1 && (
          <label class="field">
            <span>Marketplace</span>
            <select aria-label="Marketplace" value={account} onChange={(e) => setAccount(e.currentTarget.value)}>
              {props.accounts.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.name}
                </option>
              ))}
            </select>
          </label>
        )}
        <Field label="Search name" name="search-name" value={name} onInput={setName} error={errors["name"]} required />
        <Field label="Words" name="search-query" value={query} onInput={setQuery} error={errors["query"]} hint="All must appear in the title or description" />
        <Field label="Skills" name="search-skills" value={skills} onInput={setSkills} hint="Comma-separated; any one matches" />
        {errors["form"] && (
          <p class="form-error" role="alert">
            {errors["form"]}
          </p>
        )}
        <button type="submit">Add search</button>
      </form>
    </section>
  );
}

function FailedChanges() {
  const failed = syncStatus.value?.failed ?? [];
  if (failed.length === 0) return null;
  async function retry() {
    try {
      const back = await api.sync.retryFailed();
      notify(`${back} ${back === 1 ? "change goes" : "changes go"} out with the next sync.`);
    } catch (raw) {
      notify(api.describe(api.asApiError(raw)), { tone: "error" });
    }
    await refreshSync();
  }
  return (
    <section aria-labelledby="sync-failed">
      <h2 id="sync-failed">Changes the marketplace refused</h2>
      <table class="pipeline-table" aria-label="Failed changes">
        <thead>
          <tr>
            <th>Change</th>
            <th>Reason</th>
            <th>Attempts</th>
          </tr>
        </thead>
        <tbody>
          {failed.map((f) => (
            <tr key={f.seq}>
              <td>{f.operation} of a bid</td>
              <td>{f.reason}</td>
              <td>{f.attempts}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <button onClick={() => void retry()}>Retry</button>
    </section>
  );
}

function Terms({ title, terms }: { title: string; terms: api.BidTerms }) {
  return (
    <dl class="facts" aria-label={title}>
      <dt>Amount</dt>
      <dd>{formatMoney(terms.amount_minor, terms.currency)}</dd>
      <dt>Delivery</dt>
      <dd>{terms.delivery_days} days</dd>
      <dt>Upfront milestone</dt>
      <dd>{terms.milestone_percentage} %</dd>
      <dt>Proposal</dt>
      <dd>{terms.proposal}</dd>
    </dl>
  );
}

function Conflicts({ conflicts, onDone }: { conflicts: api.SyncConflict[]; onDone: () => Promise<void> }) {
  async function settle(id: string, resolution: "keep_mine" | "take_theirs") {
    try {
      await api.sync.resolve(id, resolution);
      notify(resolution === "keep_mine" ? "Your terms go out with the next sync." : "The marketplace's terms are kept.");
    } catch (raw) {
      notify(api.describe(api.asApiError(raw)), { tone: "error" });
    }
    await onDone();
  }
  return (
    <section aria-labelledby="sync-conflicts">
      <h2 id="sync-conflicts">Conflicts</h2>
      <p class="muted">You changed these bids offline while the marketplace changed them too.</p>
      {conflicts.map((c) => (
        <article key={c.id} class="stack" aria-label="Conflict">
          <div class="side-by-side">
            <div>
              <h3>Mine</h3>
              <Terms title="My terms" terms={c.mine} />
            </div>
            <div>
              <h3>Theirs</h3>
              <Terms title="The marketplace's terms" terms={c.theirs} />
            </div>
          </div>
          <p>
            <button onClick={() => void settle(c.id, "keep_mine")}>Keep mine</button>{" "}
            <button onClick={() => void settle(c.id, "take_theirs")}>Take theirs</button>
          </p>
        </article>
      ))}
    </section>
  );
}
