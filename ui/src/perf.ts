// Timing marks for the window benchmark (e2e/tests/window_bench.rs, see
// docs/performance.md "The window at a million"). An action (a key press in
// the palette, Alt+N, opening a client) is timed from its input event to the
// paint after the last command it caused has answered: the moment its
// results are on screen. It becomes one `performance` measure named
// `bidwell:<action>`; each command answered meanwhile is a `bidwell:call`
// measure naming it, to tell which query took the time. The action's measure
// also says when its first command was sent and its last answered, and when
// the frame of the paint that ended it began, so the window's share (before
// the first command; after the last, the script's work until that frame and
// then the frame's layout and paint) is told from the commands'. Nothing
// else reads them. Only the latest measure of each action and the latest
// action's calls are kept, and while no action is being timed a command
// costs one comparison.

/** How long after the last answer's paint nothing new may start before the action counts as drawn. */
const QUIET_MS = 250;
const CALL = "bidwell:call";

interface Action {
  name: string;
  start: number;
  inflight: number;
  calls: number;
  /** When the first command was sent; undefined while none was. */
  firstCall: number | undefined;
  /** When the latest answer came. */
  lastAnswer: number | undefined;
  /** The latest paint with nothing in flight. */
  drawn: number;
  /** When that paint's frame began (its animation frame callback): the script's work before it is done. */
  frame: number;
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
  current = {
    name,
    start: at,
    inflight: 0,
    calls: 0,
    firstCall: undefined,
    lastAnswer: undefined,
    drawn: at,
    frame: at,
    quiet: undefined,
  };
  afterPaint(current);
}

/** Counts a command's answer into the action being timed, if any; returns `answer` unchanged. */
export function track<T>(command: string, answer: Promise<T>): Promise<T> {
  const action = current;
  if (action === null) return answer;
  const start = performance.now();
  action.inflight += 1;
  action.calls += 1;
  action.firstCall ??= start;
  if (action.quiet !== undefined) clearTimeout(action.quiet);
  action.quiet = undefined;
  const settled = () => {
    if (current !== action) return;
    const end = performance.now();
    performance.measure(CALL, { start, end, detail: { command } });
    action.lastAnswer = end;
    action.inflight -= 1;
    afterPaint(action);
  };
  answer.then(settled, settled);
  return answer;
}

/** After the next paint: if nothing is in flight, that paint may be the last; wait a quiet spell to know. */
function afterPaint(action: Action): void {
  requestAnimationFrame(() => {
    const frame = performance.now();
    setTimeout(() => {
      if (current !== action || action.inflight > 0) return;
      action.drawn = performance.now();
      action.frame = frame;
      if (action.quiet !== undefined) clearTimeout(action.quiet);
      action.quiet = setTimeout(() => finish(action), QUIET_MS);
    }, 0);
  });
}

function finish(action: Action): void {
  if (current !== action || action.inflight > 0) return;
  current = null;
  // Milliseconds after the start, rounded as the clock is; null without commands.
  const after = (at: number | undefined) => (at === undefined ? null : Math.max(0, at - action.start));
  const detail = {
    calls: action.calls,
    firstCall: after(action.firstCall),
    lastAnswer: after(action.lastAnswer),
    frame: after(action.frame),
  };
  performance.measure(action.name, { start: action.start, end: action.drawn, detail });
}
