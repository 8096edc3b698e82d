// Timing marks for the window benchmark (e2e/tests/window_bench.rs, see
// docs/performance.md "The window at a million"). An action (a key press in
// the palette, Alt+N, opening a client) is timed from its input event to the
// paint after the last command it caused has answered: the moment its
// results are on screen. It becomes one `performance` measure named
// `bidwell:<action>`; each command answered meanwhile is a `bidwell:call`
// measure naming it, to tell which query took the time. Nothing else reads
// them. Only the latest measure of each action and the latest action's
// calls are kept, and while no action is being timed a command costs one
// comparison.

/** How long after the last answer's paint nothing new may start before the action counts as drawn. */
const QUIET_MS = 250;
const CALL = "bidwell:call";

interface Action {
  name: string;
  start: number;
  inflight: number;
  calls: number;
  /** The latest paint with nothing in flight. */
  drawn: number;
  quiet: ReturnType<typeof setTimeout> | undefined;
}

let current: Action | null = null;

/** An input event's time on the performance clock, or now when the event's is not usable. */
export function eventTime(event: Event): number {
  const now = performance.now();
  const at = event.timeStamp;
  return at > 0 && at <= now && now - at < 10_000 ? at : now;
}

/** Starts timing `action` from `at` (default: now); an action still being timed is dropped. */
export function begin(action: string, at: number = performance.now()): void {
  if (current?.quiet !== undefined) clearTimeout(current.quiet);
  const name = `bidwell:${action}`;
  performance.clearMeasures(name);
  performance.clearMeasures(CALL);
  current = { name, start: at, inflight: 0, calls: 0, drawn: at, quiet: undefined };
  afterPaint(current);
}

/** Counts a command's answer into the action being timed, if any; returns `answer` unchanged. */
export function track<T>(command: string, answer: Promise<T>): Promise<T> {
  const action = current;
  if (action === null) return answer;
  const start = performance.now();
  action.inflight += 1;
  action.calls += 1;
  if (action.quiet !== undefined) clearTimeout(action.quiet);
  action.quiet = undefined;
  const settled = () => {
    if (current !== action) return;
    performance.measure(CALL, { start, end: performance.now(), detail: { command } });
    action.inflight -= 1;
    afterPaint(action);
  };
  answer.then(settled, settled);
  return answer;
}

/** After the next paint: if nothing is in flight, that paint may be the last; wait a quiet spell to know. */
function afterPaint(action: Action): void {
  requestAnimationFrame(() =>
    setTimeout(() => {
      if (current !== action || action.inflight > 0) return;
      action.drawn = performance.now();
      if (action.quiet !== undefined) clearTimeout(action.quiet);
      action.quiet = setTimeout(() => finish(action), QUIET_MS);
    }, 0),
  );
}

function finish(action: Action): void {
  if (current !== action || action.inflight > 0) return;
  current = null;
  performance.measure(action.name, { start: action.start, end: action.drawn, detail: { calls: action.calls } });
}
