// Small charts drawn as inline SVG (no library, nothing remote). Colours come
// from CSS classes in screens/pipeline.css, so light and dark both work. Each
// chart is an image whose name reads every figure, and a "Show the figures"
// button puts them in a table, exact amounts and counts included (the bars
// carry short forms). The table is built only when asked for: always there,
// hidden, the tables of a dashboard in ten currencies (twenty-one charts)
// were a third of its first drawing at 1 M records. The drawing itself is
// built at once only where it can be in view, and below that as the view
// nears it (see `Drawing`).
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useId, useRef, useState } from "preact/hooks";

export interface Datum {
  label: string;
  value: number;
  /** How the value reads in the table (and the accessible name). */
  text: string;
  /** A short form drawn above the bar; defaults to `text`. */
  short?: string;
}

const W = 520;
const H = 220;
const PAD = { top: 24, right: 24, bottom: 36, left: 12 };
/** Extra room for slanted labels when many bars share the width. */
const SLANT_BOTTOM = 58;

/** The nearest ancestor that scrolls, whose view the drawing waits for (the viewport when none does). */
function scrollingAncestor(element: Element): Element | null {
  for (let at = element.parentElement; at; at = at.parentElement) {
    const { overflowY } = getComputedStyle(at);
    if (overflowY === "auto" || overflowY === "scroll") return at;
  }
  return null;
}

/**
 * How many charts of one column a window `windowHeight` pixels tall can show
 * at once: a chart is at least about 190 px tall (the narrowest panel, 24rem,
 * with its caption and button), so a screen that draws this many of each
 * column at once leaves none blank in view.
 */
export function chartsAtFirst(windowHeight: number): number {
  return Math.max(1, Math.ceil(windowHeight / 200));
}

/**
 * A chart's drawing: an SVG image named by its title and every figure, of
 * the marks `draw` returns. `eager`, it is built with the chart: the screen
 * passes it for the charts that can be in view at first (see
 * `chartsAtFirst`), so nothing on screen starts blank. Otherwise it is built
 * when it first comes within a window's height of the view, before it
 * scrolls in. Until then it is a box of the same size (`aspect-ratio` in
 * pipeline.css) with the same name, so what a screen reader reads does not
 * wait. Asking each box where it is before the first paint would tell
 * exactly, but lays the screen out twice, which cost more than it saved
 * (docs/performance.md, session 24). `data-drawn` says which way a drawing
 * came, for the window tests.
 */
function Drawing(props: {
  title: string;
  figures: { label: string; text: string }[];
  eager: boolean;
  draw: () => ComponentChildren;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [drawn, setDrawn] = useState<"at-first" | "near-view" | null>(props.eager ? "at-first" : null);
  useEffect(() => {
    const element = box.current;
    if (drawn || !element) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) setDrawn("near-view");
      },
      { root: scrollingAncestor(element), rootMargin: "100% 0px" },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [drawn]);
  const name = `${props.title}. ${props.figures.map((f) => `${f.label}: ${f.text}`).join("; ")}`;
  return (
    <div class="drawing" ref={box} data-drawn={drawn ?? undefined}>
      {drawn ? (
        <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={name}>
          <title>{props.title}</title>
          {props.draw()}
        </svg>
      ) : (
        <div class="pending" role="img" aria-label={name} />
      )}
    </div>
  );
}

/** The chart's figures as a table, behind a button that shows and hides it. */
function FiguresTable({ caption, head, rows }: { caption: string; head: [string, string]; rows: Datum[] }) {
  const [shown, setShown] = useState(false);
  const id = useId();
  return (
    <div class="chart-figures">
      <button type="button" class="link" aria-expanded={shown} aria-controls={shown ? id : undefined} onClick={() => setShown(!shown)}>
        {shown ? "Hide the figures" : "Show the figures"}
      </button>
      {shown && (
        <table id={id}>
          <caption class="visually-hidden">{caption}</caption>
          <thead>
            <tr>
              <th scope="col">{head[0]}</th>
              <th scope="col">{head[1]}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.label}>
                <th scope="row">{d.label}</th>
                <td>{d.text}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

export function BarChart(props: {
  title: string;
  head: [string, string];
  data: Datum[];
  caption?: string;
  /** Built with the chart rather than when near the view: it can be in view at first. */
  eager: boolean;
}): JSX.Element {
  const { data } = props;
  const max = Math.max(1, ...data.map((d) => d.value));
  const inner = W - PAD.left - PAD.right;
  const slot = inner / Math.max(1, data.length);
  const bar = Math.min(56, slot * 0.7);
  const slant = data.length > 6;
  const bottom = slant ? SLANT_BOTTOM : PAD.bottom;
  const height = H - PAD.top - bottom;
  return (
    <figure class="chart">
      {props.caption && <figcaption aria-hidden="true">{props.caption}</figcaption>}
      <Drawing
        title={props.title}
        figures={data}
        eager={props.eager}
        draw={() => (
          <>
            <line class="axis" x1={PAD.left} x2={W - PAD.right} y1={H - bottom} y2={H - bottom} />
            {data.map((d, i) => {
              const h = d.value > 0 ? Math.max(2, (d.value / max) * height) : 0;
              const x = PAD.left + slot * i + (slot - bar) / 2;
              const y = H - bottom - h;
              const cx = x + bar / 2;
              const ty = H - bottom + 16;
              return (
                <g key={d.label}>
                  <rect class="bar" x={x} y={y} width={bar} height={h} rx={3} />
                  {d.value > 0 && (
                    <text class="value" x={cx} y={y - 6} text-anchor="middle">
                      {d.short ?? d.text}
                    </text>
                  )}
                  {slant ? (
                    <text class="tick" x={cx + 4} y={ty} text-anchor="end" transform={`rotate(-35 ${cx + 4} ${ty})`}>
                      {d.label}
                    </text>
                  ) : (
                    <text class="tick" x={cx} y={ty + 2} text-anchor="middle">
                      {d.label}
                    </text>
                  )}
                </g>
              );
            })}
          </>
        )}
      />
      <FiguresTable caption={props.title} head={props.head} rows={data} />
    </figure>
  );
}

/** A line over 0..1 (a rate); null points break the line. */
export function RateChart(props: { eager: boolean; title: string; points: { label: string; rate: number | null; text: string }[] }) {
  const { points } = props;
  const inner = W - PAD.left - PAD.right - 36;
  const left = PAD.left + 36;
  const height = H - PAD.top - PAD.bottom;
  const step = points.length > 1 ? inner / (points.length - 1) : 0;
  const xOf = (i: number) => (points.length > 1 ? left + step * i : left + inner / 2);
  const yOf = (rate: number) => PAD.top + (1 - rate) * height;
  const segments: string[] = [];
  let current: string[] = [];
  points.forEach((p, i) => {
    if (p.rate === null) {
      if (current.length) segments.push(current.join(" "));
      current = [];
    } else current.push(`${xOf(i).toFixed(1)},${yOf(p.rate).toFixed(1)}`);
  });
  if (current.length) segments.push(current.join(" "));
  return (
    <figure class="chart">
      <Drawing
        title={props.title}
        figures={points}
        eager={props.eager}
        draw={() => (
          <>
            {[0, 0.5, 1].map((r) => (
              <g key={r}>
                <line class="grid" x1={left} x2={W - PAD.right} y1={yOf(r)} y2={yOf(r)} />
                <text class="tick" x={left - 6} y={yOf(r) + 4} text-anchor="end">
                  {Math.round(r * 100)}%
                </text>
              </g>
            ))}
            {segments.map((s) => (
              <polyline key={s} class="line" points={s} />
            ))}
            {points.map((p, i) => (
              <g key={p.label}>
                {p.rate !== null && <circle class="dot" cx={xOf(i)} cy={yOf(p.rate)} r={4} />}
                <text class="tick" x={xOf(i)} y={H - PAD.bottom + 18} text-anchor="middle">
                  {p.label}
                </text>
              </g>
            ))}
          </>
        )}
      />
      <FiguresTable
        caption={props.title}
        head={["Month", "Win rate"]}
        rows={points.map((p) => ({ label: p.label, value: p.rate ?? 0, text: p.text }))}
      />
    </figure>
  );
}
