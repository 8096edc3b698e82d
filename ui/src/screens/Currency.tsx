// Settings → Currency: the home currency the dashboard converts pipeline
// totals into, and the exchange rates it converts at: typed by hand, or
// imported from the ECB's reference-rate CSV (eurofxref.csv, or the whole
// history eurofxref-hist.csv). Each rate shows its day and where it came
// from. Bids and milestones keep their own currency; only totals convert.
import { useEffect, useState } from "preact/hooks";
import * as api from "../api";
import type { ExchangeRate } from "../bindings/ExchangeRate";
import type { NewExchangeRate } from "../bindings/NewExchangeRate";
import { Field } from "../components/Field";
import { dayText } from "../dates";
import { notify } from "../state";

const RATE_FIELDS = ["base", "currency", "rate", "rate_date"];
const rateField = (f: string) => (RATE_FIELDS.includes(f) ? f : undefined);

function today(): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export function Currency() {
  const [rates, setRates] = useState<ExchangeRate[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function load() {
    try {
      setRates(await api.rates.list());
      setError(null);
    } catch (raw) {
      setError(api.describe(api.asApiError(raw)));
    }
  }
  useEffect(() => {
    void load();
  }, []);

  async function remove(rate: ExchangeRate) {
    try {
      await api.rates.remove(rate.id);
      notify(`Deleted the rate of ${rate.currency} for ${dayText(rate.rate_date)}.`);
      await load();
    } catch (raw) {
      notify(`The rate could not be deleted: ${api.describe(api.asApiError(raw))}`, { tone: "error" });
    }
  }

  return (
    <section class="settings-section" aria-label="Currency">
      <HomeCurrency />
      <h2>Exchange rates</h2>
      <p class="muted">
        One unit of the base buys this many of the currency. The dashboard uses the latest day of each; a bid in a
        currency without a rate is left out of the converted total, and the dashboard names it.
      </p>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <ImportRates onImported={load} />
      <RateForm
        label="Add a rate"
        idPrefix="rate"
        initial={{ base: "EUR", currency: "", rate: "", rate_date: today() }}
        submit="Add rate"
        onSave={async (rate) => {
          const saved = await api.rates.set(rate);
          notify(`Kept 1 ${saved.base} = ${saved.rate} ${saved.currency} for ${dayText(saved.rate_date)}.`);
          await load();
          return true;
        }}
      />
      {rates !== null && rates.length === 0 && <p data-testid="no-rates">No rates yet.</p>}
      {rates !== null && rates.length > 0 && (
        <table class="data" aria-label="Exchange rates">
          <thead>
            <tr>
              <th>Day</th>
              <th>Rate</th>
              <th>From</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rates.map((r) => (
              <RateRow key={r.id} rate={r} onChanged={load} onDelete={() => void remove(r)} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function HomeCurrency() {
  // undefined until read, so nothing typed before then is overwritten.
  const [home, setHome] = useState<string | null | undefined>(undefined);
  const [code, setCode] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  useEffect(() => {
    void api.rates.home().then((h) => {
      setHome(h);
      setCode(h ?? "");
    });
  }, []);

  async function save(next: string | null) {
    try {
      const saved = await api.rates.setHome(next);
      setHome(saved);
      setCode(saved ?? "");
      setErrors({});
      notify(saved ? `The dashboard now adds up in ${saved}.` : "The dashboard shows a chart per currency.");
    } catch (raw) {
      setErrors(api.formErrors(api.asApiError(raw), (f) => (f === "home_currency" ? f : undefined)));
    }
  }

  if (home === undefined) return <h2 aria-busy="true">Home currency</h2>;
  return (
    <form
      class="record-form"
      aria-label="Home currency"
      onSubmit={(e) => {
        e.preventDefault();
        void save(code.trim() || null);
      }}
    >
      <h2>Home currency</h2>
      <p class="muted">
        {home
          ? `Dashboard totals are converted into ${home} at the rates below.`
          : "None: the dashboard shows a chart per currency."}
      </p>
      <Field
        label="Home currency (ISO code)"
        name="home-currency"
        value={code}
        onInput={setCode}
        error={errors["home_currency"]}
        hint="For example EUR, USD or JPY"
      />
      {errors["form"] && (
        <p class="form-error" role="alert">
          {errors["form"]}
        </p>
      )}
      <div class="actions">
        <button class="primary" type="submit">
          Save home currency
        </button>
        {home && (
          <button type="button" onClick={() => void save(null)}>
            No home currency
          </button>
        )}
      </div>
    </form>
  );
}

function ImportRates({ onImported }: { onImported: () => Promise<void> }) {
  const [problem, setProblem] = useState<string | null>(null);
  async function choose() {
    const file = await api.portability.chooseImportFile();
    if (!file) return;
    try {
      const summary = await api.rates.importFile(file);
      setProblem(null);
      const last = summary.last_date ? ` up to ${dayText(summary.last_date)}` : "";
      const left = summary.skipped_columns.length ? ` Left out: ${summary.skipped_columns.join(", ")}.` : "";
      notify(`Imported ${summary.rates} rates against ${summary.base} from ${summary.file}${last}.${left}`);
      await onImported();
    } catch (raw) {
      const err = api.asApiError(raw);
      setProblem(`${file.name} was not imported, nothing was kept: ${api.describe(err)}`);
    }
  }
  return (
    <div class="actions">
      <button type="button" onClick={() => void choose()}>
        Import ECB rates (CSV)…
      </button>
      {problem && (
        <p class="form-error" role="alert">
          {problem}
        </p>
      )}
    </div>
  );
}

function RateRow(props: { rate: ExchangeRate; onChanged: () => Promise<void>; onDelete: () => void }) {
  const { rate } = props;
  const [editing, setEditing] = useState(false);
  if (editing) {
    return (
      <tr>
        <td colSpan={4}>
          <RateForm
            label={`Edit the rate of ${rate.currency}`}
            idPrefix={`rate-${rate.id}`}
            initial={{ base: rate.base, currency: rate.currency, rate: rate.rate, rate_date: rate.rate_date }}
            submit="Save"
            onCancel={() => setEditing(false)}
            onSave={async (next) => {
              await api.rates.update(rate.id, next);
              setEditing(false);
              await props.onChanged();
              return false;
            }}
          />
        </td>
      </tr>
    );
  }
  return (
    <tr>
      <td>{dayText(rate.rate_date)}</td>
      <td>
        1 {rate.base} = {rate.rate} {rate.currency}
      </td>
      <td>{rate.source === "hand" ? "typed by hand" : rate.source}</td>
      <td class="actions">
        <button type="button" onClick={() => setEditing(true)} aria-label={`Edit the rate of ${rate.currency}`}>
          Edit
        </button>
        <button type="button" onClick={props.onDelete} aria-label={`Delete the rate of ${rate.currency}`}>
          Delete
        </button>
      </td>
    </tr>
  );
}

/** The four fields of a rate; `onSave` returns whether to clear the form for the next one. */
function RateForm(props: {
  label: string;
  idPrefix: string;
  initial: NewExchangeRate;
  submit: string;
  onSave: (rate: NewExchangeRate) => Promise<boolean>;
  onCancel?: () => void;
}) {
  const [rate, setRate] = useState<NewExchangeRate>(props.initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const set = (key: keyof NewExchangeRate) => (value: string) => setRate({ ...rate, [key]: value });

  async function save(e: Event) {
    e.preventDefault();
    try {
      const clear = await props.onSave(rate);
      setErrors({});
      if (clear) setRate({ ...rate, currency: "", rate: "" });
    } catch (raw) {
      setErrors(api.formErrors(api.asApiError(raw), rateField));
    }
  }

  const p = props.idPrefix;
  return (
    <form class="record-form inline" aria-label={props.label} onSubmit={save}>
      <Field label="Base" name={`${p}-base`} value={rate.base} onInput={set("base")} error={errors["base"]} />
      <Field label="Currency" name={`${p}-currency`} value={rate.currency} onInput={set("currency")} error={errors["currency"]} />
      <Field
        label="Rate"
        name={`${p}-rate`}
        value={rate.rate}
        onInput={set("rate")}
        error={errors["rate"]}
        hint="Units of the currency one unit of the base buys, e.g. 1.0552"
      />
      <Field label="Day" name={`${p}-date`} type="date" value={rate.rate_date} onInput={set("rate_date")} error={errors["rate_date"]} />
      {errors["form"] && (
        <p class="form-error" role="alert">
          {errors["form"]}
        </p>
      )}
      <div class="actions">
        <button class="primary" type="submit">
          {props.submit}
        </button>
        {props.onCancel && (
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
