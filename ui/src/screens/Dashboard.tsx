// Dashboard: pipeline value by bid status, win rate and earnings by month,
// where the open tasks stand and the next ones due. Figures come from the
// core in one call (`dashboard`); the charts are drawn here as SVG. With a
// home currency (Settings → Currency) the pipeline and the earnings are each one chart converted
// into it, captioned with the rates' day and the currencies without a rate.
import { useState } from "preact/hooks";
import { useReadEffect } from "../readEffect";
import * as api from "../api";
import type { Dashboard as Figures } from "../bindings/Dashboard";
import type { HomePipeline } from "../bindings/HomePipeline";
import type { Task } from "../bindings/Task";
import { dashboard } from "../api";
import { BarChart, chartsAtFirst, RateChart } from "../components/pipeline/charts";
import { formatMoney, minorToInput } from "../money";
import { BID_STATUSES, STATUS_LABEL } from "../components/pipeline/status";
import { go, notify } from "../state";
import "./pipeline.css";
import { dateTimeText, dayText, monthText } from "../dates";

const MONTHS = 6;

function currencies<T extends { currency: string }>(rows: T[]): string[] {
  return [...new Set(rows.map((r) => r.currency))].sort();
}

export function Dashboard() {
  const [figures, setFigures] = useState<Figures | null>(null);
  const [error, setError] = useState<api.ApiError | null>(null);

  async function load() {
    try {
      setFigures(await dashboard(MONTHS));
      setError(null);
    } catch (raw) {
      setError(api.asApiError(raw));
    }
  }
  useReadEffect(() => {
    void load();
  }, []);

  async function complete(task: Task) {
    try {
      await api.tasks.update(task.id, { done: true });
      await load();
      notify(`Done: ${task.title}`, {
        undo: async () => {
          await api.tasks.update(task.id, { done: false });
          await load();
        },
      });
    } catch (raw) {
      notify(`The task could not be changed: ${api.describe(api.asApiError(raw))}`, { tone: "error" });
    }
  }

  if (error) {
    return (
      <div class="pipeline">
        <h1>Dashboard</h1>
        <p class="form-error" role="alert">
          The figures could not be loaded: {api.describe(error)} <button onClick={() => void load()}>Try again</button>
        </p>
      </div>
    );
  }
  if (!figures) return <div class="pipeline" aria-busy="true"><h1>Dashboard</h1></div>;

  const pipelineCurrencies = currencies(figures.pipeline);
  const earningCurrencies = currencies(figures.earnings);
  const decided = figures.win_rate.some((w) => w.rate !== null);
  const { tasks } = figures;
  // The charts that can be in view at first are drawn at once, the rest as
  // they near it. Earnings sit below the pipeline, in either layout.
  const inView = chartsAtFirst(window.innerHeight);
  // In the home currency the pipeline is one chart, or none without bids.
  const pipelineCharts = figures.home ? Math.min(1, pipelineCurrencies.length) : pipelineCurrencies.length;
  const earningsInView = inView - pipelineCharts;

  return (
    <div class="pipeline dashboard">
      <div class="toolbar">
        <h1>Dashboard</h1>
        <button onClick={() => void load()} aria-label="Refresh the figures">
          Refresh
        </button>
      </div>

      <section class="tiles" aria-label="Open tasks">
        <button class={`tile${tasks.overdue ? " alert" : ""}`} onClick={() => go({ screen: "tasks" })}>
          <strong>{tasks.overdue}</strong> overdue
        </button>
        <button class="tile" onClick={() => go({ screen: "tasks" })}>
          <strong>{tasks.due_today}</strong> due today
        </button>
        <button class="tile" onClick={() => go({ screen: "tasks" })}>
          <strong>{tasks.upcoming}</strong> upcoming
        </button>
        <button class="tile" onClick={() => go({ screen: "tasks" })}>
          <strong>{tasks.undated}</strong> without a date
        </button>
      </section>

      <div class="dash-grid">
        <section class="panel" aria-labelledby="dash-pipeline">
          <h2 id="dash-pipeline">Pipeline by status</h2>
          {pipelineCurrencies.length === 0 ? (
            <div class="empty">
              <p>No bids yet. Each bid you add shows here under its status.</p>
              <button onClick={() => go({ screen: "bids" })}>Go to Bids</button>
            </div>
          ) : figures.home ? (
            <HomeChart home={figures.home} />
          ) : (
            pipelineCurrencies.map((currency, index) => (
              <BarChart
                eager={index < inView}
                key={currency}
                title={`Bid value by status, ${currency}`}
                caption={`In ${currency}`}
                head={["Status", `Value (${currency})`]}
                data={BID_STATUSES.map((status) => {
                  const row = figures.pipeline.find((p) => p.status === status && p.currency === currency);
                  const value = row?.amount_minor ?? 0;
                  return {
                    label: STATUS_LABEL[status],
                    value,
                    text: row ? `${formatMoney(value, currency)} (${row.count} ${row.count === 1 ? "bid" : "bids"})` : "none",
                    short: compact(value, currency),
                  };
                })}
              />
            ))
          )}
        </section>

        <section class="panel" aria-labelledby="dash-winrate">
          <h2 id="dash-winrate">Win rate</h2>
          <p class="muted small">Bids awarded ÷ bids awarded or rejected, by month of the decision.</p>
          {decided ? (
            <RateChart
              eager
              title={`Share of decided bids won, last ${MONTHS} months`}
              points={figures.win_rate.map((w) => ({
                label: monthText(w.month),
                rate: w.rate,
                text:
                  w.rate === null
                    ? "no decisions"
                    : `${Math.round(w.rate * 100)}% (${w.awarded} won of ${w.awarded + w.rejected})`,
              }))}
            />
          ) : (
            <div class="empty">
              <p>
                No bids were awarded or rejected in the last {MONTHS} months. Move bids to Awarded or Rejected on the
                Bids screen as clients decide.
              </p>
            </div>
          )}
        </section>

        <section class="panel" aria-labelledby="dash-earnings">
          <h2 id="dash-earnings">Earnings by month</h2>
          {earningCurrencies.length === 0 ? (
            <div class="empty">
              <p>Nothing released in the last {MONTHS} months. Released milestones of your projects and bids add up here.</p>
            </div>
          ) : figures.home ? (
            <HomeEarnings
              home={figures.home}
              months={figures.win_rate.map((w) => w.month)}
              eager={earningsInView > 0}
            />
          ) : (
            earningCurrencies.map((currency, index) => (
              <BarChart
                eager={index < earningsInView}
                key={currency}
                title={`Released milestones, ${currency}, last ${MONTHS} months`}
                caption={`In ${currency}`}
                head={["Month", `Released (${currency})`]}
                data={figures.win_rate.map(({ month }) => {
                  const value =
                    figures.earnings.find((e) => e.month === month && e.currency === currency)?.amount_minor ?? 0;
                  return {
                    label: monthText(month),
                    value,
                    text: value ? formatMoney(value, currency) : "none",
                    short: compact(value, currency),
                  };
                })}
              />
            ))
          )}
        </section>

        <section class="panel" aria-labelledby="dash-upcoming">
          <h2 id="dash-upcoming">Next tasks</h2>
          {figures.upcoming.length === 0 ? (
            <div class="empty">
              <p>No tasks with a due date. Add one on the Tasks screen.</p>
              <button onClick={() => go({ screen: "tasks" })}>Go to Tasks</button>
            </div>
          ) : (
            <ul class="task-list">
              {figures.upcoming.map((t) => {
                const late = t.due_at !== null && new Date(t.due_at) < new Date(figures.now);
                return (
                  <li key={t.id} class="task">
                    <input
                      id={`dash-task-${t.id}`}
                      type="checkbox"
                      checked={false}
                      onChange={() => void complete(t)}
                    />
                    <label for={`dash-task-${t.id}`}>
                      <span class="task-title">{t.title}</span>
                      {t.due_at && (
                        <span class={late ? "late small" : "muted small"}>
                          {" "}
                          · {late ? "overdue since" : "due"}{" "}
                          {dateTimeText(t.due_at)}
                        </span>
                      )}
                    </label>
                  </li>
                );
              })}
            </ul>
          )}
        </section>
      </div>
    </div>
  );
}

/** The pipeline converted into the home currency: one chart, the rates' day, and what had no rate. */
function HomeChart({ home }: { home: HomePipeline }) {
  const { currency } = home;
  const at = home.rates_date ? `, at rates of ${dayText(home.rates_date)}` : "";
  return (
    <>
      <BarChart
        eager
        title={`Bid value by status, converted into ${currency}${at}`}
        caption={`In ${currency}${at}`}
        head={["Status", `Value (${currency})`]}
        data={BID_STATUSES.map((status) => {
          const row = home.pipeline.find((p) => p.status === status);
          const value = row?.amount_minor ?? 0;
          return {
            label: STATUS_LABEL[status],
            value,
            text: row ? `${formatMoney(value, currency)} (${row.count} ${row.count === 1 ? "bid" : "bids"})` : "none",
            short: compact(value, currency),
          };
        })}
      />
      {home.without_rate.length > 0 && (
        <p class="muted small" data-testid="without-rate">
          Left out, no rate to {currency}: {home.without_rate.join(", ")}.{" "}
          <button class="link" onClick={() => go({ screen: "settings", tab: "currency" })}>
            Add rates
          </button>
        </p>
      )}
    </>
  );
}

/** The earnings converted into the home currency: one chart over the months shown, captioned like the pipeline's. */
function HomeEarnings({ home, months, eager }: { home: HomePipeline; months: string[]; eager: boolean }) {
  const { currency } = home;
  const at = home.rates_date ? `, at rates of ${dayText(home.rates_date)}` : "";
  return (
    <BarChart
      eager={eager}
      title={`Released milestones, converted into ${currency}${at}, last ${MONTHS} months`}
      caption={`In ${currency}${at}`}
      head={["Month", `Released (${currency})`]}
      data={months.map((month) => {
        const value = home.earnings.find((e) => e.month === month)?.amount_minor ?? 0;
        return { label: monthText(month), value, text: value ? formatMoney(value, currency) : "none", short: compact(value, currency) };
      })}
    />
  );
}

/** "12.5k" style for labels drawn on a chart (its caption names the currency). */
function compact(minor: number, currency: string): string {
  const whole = minorToInput(minor, currency).split(".")[0] ?? "0";
  if (whole.length > 6) return `${whole.slice(0, -6)}.${whole.slice(-6, -5)}M`;
  if (whole.length > 3) return `${whole.slice(0, -3)}.${whole.slice(-3, -2)}k`;
  return whole;
}
