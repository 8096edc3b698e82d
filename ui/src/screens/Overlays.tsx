// Keyboard layer of the app: Ctrl/Cmd+K opens the command palette (search
// everything, jump to it, or run an action), "?" lists the shortcuts, and
// Alt+1…7 switches screens.
import { Fragment } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import * as api from "../api";
import type { SearchHit } from "../bindings/SearchHit";
import { go, refreshSession } from "../state";
import { NAVIGATION } from "./index";
import { subjectRoute } from "../components/Subjects";
import { begin, eventTime } from "../perf";

interface Action {
  label: string;
  run: () => void | Promise<void>;
}

const ACTIONS: Action[] = [
  ...NAVIGATION.map((n) => ({ label: `Go to ${n.label}`, run: () => go({ screen: n.screen }) })),
  { label: "Open privacy settings (export, erase, consents)", run: () => go({ screen: "settings", tab: "privacy" }) },
  {
    label: "Lock the workspace",
    run: async () => {
      await api.session.lock();
      await refreshSession();
    },
  },
];

/** Where a search hit leads: its own page, or the page of what it belongs to. */
async function open(hit: SearchHit): Promise<void> {
  go(await subjectRoute({ kind: hit.kind, id: hit.id }));
}

export function Overlays() {
  const [palette, setPalette] = useState(false);
  const [help, setHelp] = useState(false);

  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement;
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "k") {
        e.preventDefault();
        setPalette(true);
      } else if (e.key === "Escape") {
        setPalette(false);
        setHelp(false);
      } else if (e.altKey && /^[1-9]$/.test(e.key)) {
        const target = NAVIGATION[Number(e.key) - 1];
        if (target) {
          e.preventDefault();
          begin(`screen:${target.screen}`, eventTime(e));
          go({ screen: target.screen });
        }
      } else if (e.key === "?" && !typing) {
        setHelp(true);
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  return (
    <>
      {palette && <Palette close={() => setPalette(false)} />}
      {help && <Shortcuts close={() => setHelp(false)} />}
    </>
  );
}

function Palette({ close }: { close: () => void }) {
  const [query, setQuery] = useState("");
  const [hits, setHits] = useState<SearchHit[]>([]);
  const [failed, setFailed] = useState<api.ApiError | null>(null);
  const [selected, setSelected] = useState(0);
  const asked = useRef(0);

  // Asked from the input event itself, not from an effect after the next
  // paint: the results can then be drawn in the frame after the key.
  function ask(next: string) {
    setQuery(next);
    const ticket = ++asked.current;
    if (!next.trim()) {
      setHits([]);
      setFailed(null);
      return;
    }
    // Only the answer to the newest query is shown.
    api.search(next, 20).then(
      (found) => {
        if (ticket !== asked.current) return;
        setHits(found);
        setFailed(null);
        setSelected(0);
      },
      (raw) => {
        if (ticket !== asked.current) return;
        setHits([]);
        setFailed(api.asApiError(raw));
      },
    );
  }

  const actions = ACTIONS.filter((a) => a.label.toLowerCase().includes(query.trim().toLowerCase()));
  const items: { key: string; label: string; detail: string; run: () => void | Promise<void> }[] = [
    ...hits.map((h) => ({ key: `${h.kind}:${h.id}`, label: h.title, detail: h.kind, run: () => open(h) })),
    ...actions.map((a) => ({ key: a.label, label: a.label, detail: "action", run: a.run })),
  ];

  function choose(index: number) {
    const item = items[index];
    if (!item) return;
    close();
    void item.run();
  }

  return (
    <div class="overlay" role="dialog" aria-modal="true" aria-label="Command palette" onClick={close}>
      <div class="palette" onClick={(e) => e.stopPropagation()}>
        <input
          autoFocus
          aria-label="Search everything or type a command"
          placeholder="Search clients, jobs, bids, notes… or type a command"
          value={query}
          onInput={(e) => ask(e.currentTarget.value)}
          onKeyDown={(e) => {
            // A key that edits the query: timed until its results are drawn.
            if (e.key.length === 1 || e.key === "Backspace" || e.key === "Delete") begin("palette", eventTime(e));
            if (e.key === "ArrowDown") setSelected(Math.min(selected + 1, items.length - 1));
            else if (e.key === "ArrowUp") setSelected(Math.max(selected - 1, 0));
            else if (e.key === "Enter") choose(selected);
            else return;
            e.preventDefault();
          }}
        />
        <ul role="listbox" aria-label="Results">
          {items.map((item, i) => (
            <li
              key={item.key}
              role="option"
              aria-selected={i === selected}
              class={i === selected ? "selected" : ""}
              onMouseEnter={() => setSelected(i)}
              onClick={() => choose(i)}
            >
              <span>{item.label}</span>
              <span class="muted">{item.detail}</span>
            </li>
          ))}
          {failed && (
            <li class="form-error" role="alert">
              The search failed: {api.describe(failed)}
            </li>
          )}
          {query.trim() && !failed && items.length === 0 && <li class="muted">Nothing matches “{query}”.</li>}
        </ul>
      </div>
    </div>
  );
}

function Shortcuts({ close }: { close: () => void }) {
  const rows: [string, string][] = [
    ["Ctrl/⌘ + K", "Search everything, run a command"],
    ...NAVIGATION.map((n): [string, string] => [`Alt + ${n.key}`, n.label]),
    ["N", "New record on the current list; on a record's page, write a note"],
    ["↑ ↓, Enter", "Move in a list, open"],
    ["E", "Edit the record on its page"],
    ["Ctrl/⌘ + Enter", "Save the form, add the note"],
    ["Esc", "Close a dialog, cancel a form, back from a record's page"],
    ["?", "This list"],
  ];
  return (
    <div class="overlay" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" onClick={close}>
      <div class="palette" onClick={(e) => e.stopPropagation()}>
        <h2>Keyboard shortcuts</h2>
        <dl class="facts">
          {rows.map(([keys, what]) => (
            <Fragment key={keys}>
              <dt>
                <kbd>{keys}</kbd>
              </dt>
              <dd>{what}</dd>
            </Fragment>
          ))}
        </dl>
        <button onClick={close}>Close</button>
      </div>
    </div>
  );
}
