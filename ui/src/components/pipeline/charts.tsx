// Small charts drawn as inline SVG (no library, nothing remote). Colours come
// from CSS classes in screens/pipeline.css, so light and dark both work. Each
// chart is an image whose name reads every figure, and a "Show the figures"
// button puts them in a table, exact amounts and counts included (the bars
// carry short forms). The table is built only when asked for: always there,
// hidden, the tables of a dashboard in ten currencies (twenty-one charts)
// were a third of its first drawing at 1 M records. The drawing is laid out
// and painted only near the viewport (`.drawing` in pipeline.css).
import type { JSX } from "preact";
import { useId, useState } from "preact/hooks";

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
}): JSX.Element {
  const { data } = props;
  const max = Math.max(1, ...data.map((d) => d.value));
  const inner = W - PAD.left - PAD.right;
  const slot = inner / Math.max(1, data.length);
  const bar = Math.min(56, slot * 0.7);
  const slant = data.length > 6;
  const bottom = slant ? SLANT_BOTTOM : PAD.bottom;
  const height = H - PAD.top - bottom;
  const summary = data.map((d) => `${d.label}: ${d.text}`).join("; ");
  return (
    <figure class="chart">
      {props.caption && <figcaption aria-hidden="true">{props.caption}</figcaption>}
      <div class="drawing">
        <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${props.title}. ${summary}`}>
          <title>{props.title}</title>
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
        </svg>
      </div>
      <FiguresTable caption={props.title} head={props.head} rows={data} />
    </figure>
  );
}

/** A line over 0..1 (a rate); null points break the line. */
export function RateChart(props: { title: string; points: { label: string; rate: number | null; text: string }[] }) {
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
  const summary = points.map((p) => `${p.label}: ${p.text}`).join("; ");
  return (
    <figure class="chart">
      <div class="drawing">
        <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${props.title}. ${summary}`}>
          <title>{props.title}</title>
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
        </svg>
      </div>
      <FiguresTable
        caption={props.title}
        head={["Month", "Win rate"]}
        rows={points.map((p) => ({ label: p.label, value: p.rate ?? 0, text: p.text }))}
      />
    </figure>
  );
}
