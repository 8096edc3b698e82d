// Export and import, as the Privacy tab and a client's page offer them: the
// platform's save/open dialog picks the file, the work shows progress and can
// be cancelled, and an import error points at the file, line and field.
import { useEffect, useState } from "preact/hooks";
import * as api from "../api";
import type { ArchiveContainer } from "../bindings/ArchiveContainer";
import type { PasswordStrength } from "../bindings/PasswordStrength";
import type { ImportKind } from "../bindings/ImportKind";
import type { RecordCounts } from "../bindings/RecordCounts";
import type { Id } from "../bindings/Id";
import type { ChosenFile } from "../bindings/ChosenFile";
import type { CsvMapping } from "../bindings/CsvMapping";
import type { ImportOptions } from "../bindings/ImportOptions";
import type { ImportSummary } from "../bindings/ImportSummary";
import type { UnmappedColumns } from "../bindings/UnmappedColumns";
import type { UnmappedField } from "../bindings/UnmappedField";
import { notify } from "../state";
import { Field } from "./Field";
import { formatBytes } from "../screens/Privacy";
import { ProgressPanel } from "./ProgressPanel";

const STRENGTH_WORDS = ["very weak", "weak", "fair", "strong", "very strong"];

/** The meter under the password: the core's zxcvbn score for the chosen
 * container, the score it needs, and what would make it stronger. */
function StrengthMeter({ strength }: { strength: PasswordStrength | null }) {
  if (!strength) return null;
  const advice = [strength.warning, ...strength.suggestions].filter(Boolean).join(" ");
  return (
    <div class="stack" data-testid="password-strength">
      <meter
        min={0}
        max={4}
        low={strength.required - 0.5}
        high={3.5}
        optimum={4}
        value={strength.score}
        aria-label="Password strength"
        aria-valuetext={`${STRENGTH_WORDS[strength.score]}, ${strength.score} of 4`}
      />
      <span role="status">
        Strength: {STRENGTH_WORDS[strength.score]} ({strength.score} of 4;{" "}
        {strength.acceptable ? "strong enough" : `${strength.required} needed for this format`}).{" "}
        {!strength.acceptable && advice}
      </span>
    </div>
  );
}

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

function slug(text: string): string {
  return text.normalize("NFKD").replace(/[^\w-]+/g, "-").replace(/^-+|-+$/g, "").toLowerCase() || "client";
}

function describe(counts: RecordCounts): string {
  const parts: [number, string][] = [
    [counts.clients, "clients"],
    [counts.contacts, "contacts"],
    [counts.projects, "projects"],
    [counts.jobs, "jobs"],
    [counts.bids, "bids"],
    [counts.milestones, "milestones"],
    [counts.activities, "notes"],
    [counts.tasks, "tasks"],
    [counts.exchange_rates, "exchange rates"],
  ];
  const shown = parts.filter(([n]) => n > 0).map(([n, what]) => `${n.toLocaleString()} ${what}`);
  return shown.length > 0 ? shown.join(", ") : "no records";
}

/** An ApiError from an import, in words that say where the problem is. */
function importProblem(err: api.ApiError): string {
  switch (err.code) {
    case "workspace_not_empty":
      return "A Bidwell export can only be imported into an empty workspace. Create a new workspace for it, or import clients from a CSV or vCard file instead.";
    case "archive_password":
      return "This export is protected: enter its password and try again.";
    case "cancelled":
      return "Import cancelled; nothing was written.";
    case "import_invalid": {
      const at = err.location;
      if (!at) return `Nothing was imported: ${api.describe(err)}`;
      const where = [at.file, at.line !== null ? `line ${at.line}` : null, at.field !== null ? `field "${at.field}"` : null]
        .filter(Boolean)
        .join(", ");
      return `Nothing was imported. ${where}: ${api.describe(err)}`;
    }
    default:
      return api.describe(err);
  }
}

/** "Export everything…" (or one client's data) to a ZIP the user places. */
export function ExportPanel({ client = null, clientName = "" }: { client?: Id | null; clientName?: string }) {
  const [protect, setProtect] = useState(false);
  const [container, setContainer] = useState<ArchiveContainer>("age");
  const [password, setPassword] = useState("");
  const [strength, setStrength] = useState<PasswordStrength | null>(null);
  const [repeat, setRepeat] = useState("");
  const [bom, setBom] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [progress, setProgress] = useState<api.Progress | null | undefined>(undefined);
  const [done, setDone] = useState<string | null>(null);

  // The meter follows the typing; a stale answer (an older keystroke) is dropped.
  useEffect(() => {
    if (!protect || password === "") {
      setStrength(null);
      return;
    }
    let current = true;
    api.portability
      .passwordStrength(password, container)
      .then((s) => current && setStrength(s))
      .catch(() => current && setStrength(null));
    return () => {
      current = false;
    };
  }, [protect, password, container]);

  async function exportArchive() {
    const found: Record<string, string> = {};
    if (protect) {
      if (password === "") found["export-password"] = "Enter a password, or untick the protection.";
      else if (strength && !strength.acceptable)
        found["export-password"] = `Too weak for this format: strength ${strength.score} of 4, ${strength.required} needed.`;
      else if (password !== repeat) found["export-repeat"] = "The two passwords differ.";
    }
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    const extension = protect && container === "age" ? "zip.age" : "zip";
    const name = client ? `bidwell-${slug(clientName)}-${today()}.${extension}` : `bidwell-export-${today()}.${extension}`;
    const file = await api.portability.chooseSavePath(name, "archive");
    if (!file) return;
    setProgress(null);
    try {
      const chosen: ArchiveContainer = protect ? container : "zip";
      const options = client ? { client, csv_bom: bom, container: chosen } : { csv_bom: bom, container: chosen };
      const summary = await api.portability.exportArchive(file, options, protect ? password : null, setProgress);
      setDone(
        `Exported ${describe(summary.counts)} to ${summary.path} (${formatBytes(summary.bytes)}` +
          `${summary.encrypted ? (summary.container === "age" ? ", locked in an age file" : ", AES password-protected") : ""}).`,
      );
      setPassword("");
      setRepeat("");
    } catch (raw) {
      const err = api.asApiError(raw);
      if (err.code === "cancelled") notify("Export cancelled; no file was written.");
      else if (err.code === "validation") setErrors({ "export-password": api.describe(err) });
      else notify(`The export failed: ${api.describe(err)}`, { tone: "error" });
    } finally {
      setProgress(undefined);
    }
  }

  async function exportVcard() {
    const name = client ? `${slug(clientName)}.vcf` : `bidwell-clients-${today()}.vcf`;
    const file = await api.portability.chooseSavePath(name, "vcard");
    if (!file) return;
    try {
      const summary = await api.portability.exportVcard(file, client);
      setDone(`Wrote ${summary.cards} contact cards to ${summary.path}.`);
    } catch (raw) {
      notify(`The vCard export failed: ${api.describe(api.asApiError(raw))}`, { tone: "error" });
    }
  }

  if (progress !== undefined) return <ProgressPanel progress={progress} label="Exporting" />;
  return (
    <div class="stack" aria-label={client ? "Export this client's data" : "Export everything"}>
      <label class="check">
        <input type="checkbox" checked={protect} onChange={(e) => setProtect(e.currentTarget.checked)} />
        Protect the archive with a password
      </label>
      {protect && (
        <>
          <fieldset class="stack" aria-label="How to protect it">
            <label class="check">
              <input
                type="radio"
                name="export-container"
                checked={container === "age"}
                onChange={() => setContainer("age")}
              />
              age file (.zip.age, recommended): opens with <code>age -d</code> or <code>rage -d</code>; the password
              is stretched with scrypt, which makes guessing slow.
            </label>
            <label class="check">
              <input
                type="radio"
                name="export-container"
                checked={container === "zip"}
                onChange={() => setContainer("zip")}
              />
              ZIP with AES-256 (.zip): opens in 7-Zip, WinZip and WinRAR, not in the built-in Windows or macOS
              unzip. Its key derivation is PBKDF2-SHA1 with only 1 000 rounds, so it needs a very strong password.
            </label>
          </fieldset>
          <Field
            label="Archive password"
            name="export-password"
            type="password"
            value={password}
            onInput={setPassword}
            error={errors["export-password"]}
            autocomplete="new-password"
          />
          <StrengthMeter strength={strength} />
          <Field
            label="Repeat the password"
            name="export-repeat"
            type="password"
            value={repeat}
            onInput={setRepeat}
            error={errors["export-repeat"]}
            autocomplete="new-password"
          />
        </>
      )}
      <label class="check">
        <input type="checkbox" checked={bom} onChange={(e) => setBom(e.currentTarget.checked)} />
        Mark the CSV files as UTF-8 for older Excel (byte order mark)
      </label>
      <div class="form-actions">
        <button class="primary" onClick={() => void exportArchive()}>
          {client ? "Export everything about this client…" : "Export everything…"}
        </button>
        <button onClick={() => void exportVcard()}>{client ? "Export as vCard…" : "Export clients as vCard…"}</button>
      </div>
      {done && (
        <p role="status" data-testid="export-done">
          {done}
        </p>
      )}
    </div>
  );
}

const KINDS: { value: ImportKind | ""; label: string }[] = [
  { value: "", label: "Tell from the file name" },
  { value: "bidwell", label: "A Bidwell export (into an empty workspace)" },
  { value: "clients", label: "Clients from a CSV file" },
  { value: "contacts", label: "Contacts from a CSV file (each joins its client by name)" },
  { value: "vcard", label: "Contacts from a vCard file" },
];

/** Under "the file is fine": each field with the CSV columns that fill it
 * (a row takes the first that is not empty), then the columns left out. */
function MappingTable({ mapping }: { mapping: CsvMapping }) {
  const fields: { field: string; columns: string[] }[] = [];
  for (const m of mapping.mapped) {
    const last = fields[fields.length - 1];
    if (last && last.field === m.field) last.columns.push(m.column);
    else fields.push({ field: m.field, columns: [m.column] });
  }
  return (
    <div class="stack" data-testid="import-mapping">
      <table aria-label="Which column fills which field">
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">From the column (the first one that is not empty)</th>
          </tr>
        </thead>
        <tbody>
          {fields.map((f) => (
            <tr key={f.field}>
              <td>{f.field.replace("_", " ")}</td>
              <td>{f.columns.join(", else ")}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {mapping.unmapped.length > 0 && (
        <p>
          Left out ({mapping.unmapped.length}, no field takes them; map one above to use it):{" "}
          {mapping.unmapped.join(", ")}
        </p>
      )}
    </div>
  );
}

function columnToField(f: UnmappedField): string {
  const values = f.values === 1 ? "1 value" : `${f.values.toLocaleString()} values`;
  return `"${f.column}" → ${f.field} (${f.existing ? "existing" : "new"} ${f.field_type} field, ${values})`;
}

/** Shown after a check when the file has columns no field takes: ignore
 * them, or keep each as a custom field; and where each would go. */
function UnmappedChoice({
  fields,
  keep,
  onChange,
}: {
  fields: UnmappedField[];
  keep: UnmappedColumns;
  onChange: (keep: UnmappedColumns) => void;
}) {
  return (
    <fieldset class="stack" aria-label="Columns Bidwell does not know" data-testid="import-unmapped">
      <legend>Columns Bidwell does not know</legend>
      <label class="check">
        <input type="radio" name="import-unmapped" checked={keep === "ignore"} onChange={() => onChange("ignore")} />
        Ignore them
      </label>
      <label class="check">
        <input type="radio" name="import-unmapped" checked={keep === "keep"} onChange={() => onChange("keep")} />
        Keep each as a custom field
      </label>
      {fields.length > 0 ? (
        <ul aria-label={keep === "keep" ? "Kept as custom fields" : "Would be kept as custom fields"}>
          {fields.map((f) => (
            <li key={f.column}>{columnToField(f)}</li>
          ))}
        </ul>
      ) : (
        <p>Nothing to keep: none of them has a value, or each is mapped to ignore.</p>
      )}
    </fieldset>
  );
}

/** What an import did, kept columns included. */
function importedText(summary: ImportSummary): string {
  let imported = `Imported ${describe(summary.counts)}.`;
  if (summary.search_index_pending) {
    imported += " They are saved, but indexing them for search did not finish: the next search will try again.";
  }
  if (summary.unmapped !== "keep" || summary.unmapped_fields.length === 0) return imported;
  const kept = summary.unmapped_fields.map((f) => `"${f.column}" → ${f.field}${f.existing ? "" : " (new)"}`);
  return `${imported} Kept as custom fields: ${kept.join(", ")}.`;
}

/** "Import a file…": check first (nothing written), then import in one go. */
export function ImportPanel({ onImported }: { onImported: () => void }) {
  const [file, setFile] = useState<ChosenFile | null>(null);
  const [kind, setKind] = useState<ImportKind | "">("");
  const [mapping, setMapping] = useState("");
  const [password, setPassword] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [checked, setChecked] = useState<string | null>(null);
  const [mapped, setMapped] = useState<CsvMapping | null>(null);
  const [unmappedFields, setUnmappedFields] = useState<UnmappedField[]>([]);
  const [keep, setKeep] = useState<UnmappedColumns>("ignore");
  const [done, setDone] = useState<string | null>(null);
  const [progress, setProgress] = useState<api.Progress | null | undefined>(undefined);

  function options(dryRun: boolean): ImportOptions {
    const pairs = mapping
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean)
      .map((line) => {
        const at = line.lastIndexOf("=");
        return { column: line.slice(0, at).trim(), field: line.slice(at + 1).trim() };
      });
    // The choice is offered only for a checked CSV file with unknown columns; otherwise ignore.
    const unmapped: UnmappedColumns = mapped && mapped.unmapped.length > 0 ? keep : "ignore";
    const base = { mapping: pairs, dry_run: dryRun, unmapped };
    return kind ? { kind, ...base } : base;
  }

  // A check's result (and its mapping table) stands for the file, kind and
  // mapping it was made with: choosing another of any hides it.
  async function choose() {
    const chosen = await api.portability.chooseImportFile();
    if (!chosen) return;
    setFile(chosen);
    setProblem(null);
    setChecked(null);
    setMapped(null);
    setKeep("ignore");
    setDone(null);
  }

  async function run(dryRun: boolean) {
    if (!file) return;
    const bad = mapping.split("\n").find((l) => l.trim() && !l.includes("="));
    if (bad) {
      setProblem(`Each mapping line reads COLUMN=field; "${bad.trim()}" has no "=".`);
      return;
    }
    const sent = options(dryRun);
    setProblem(null);
    // A refused import leaves the check (and the choice made on it) in view.
    if (dryRun) setChecked(null);
    setDone(null);
    setProgress(null);
    try {
      const summary = await api.portability.importFile(file, sent, password || null, setProgress);
      if (dryRun) {
        setChecked(`The file is fine: importing it adds ${describe(summary.counts)}.`);
        setMapped(summary.mapping);
        setUnmappedFields(summary.unmapped_fields);
      } else {
        const text = importedText(summary);
        notify(text);
        setDone(text);
        setFile(null);
        setChecked(null);
        setMapped(null);
        setKeep("ignore");
        onImported();
      }
    } catch (raw) {
      setProblem(importProblem(api.asApiError(raw)));
    } finally {
      setProgress(undefined);
    }
  }

  if (progress !== undefined) return <ProgressPanel progress={progress} label="Importing" />;
  return (
    <div class="stack" aria-label="Import">
      <div class="form-actions">
        <button onClick={() => void choose()}>Import a file…</button>
        {file && (
          <span>
            <code>{file.name}</code>
          </span>
        )}
      </div>
      {file && (
        <>
          <label class="field">
            <span>What the file holds</span>
            <select
              aria-label="What the file holds"
              value={kind}
              onChange={(e) => {
                setKind(e.currentTarget.value as ImportKind | "");
                setChecked(null);
                setMapped(null);
              }}
            >
              {KINDS.map((k) => (
                <option key={k.value} value={k.value}>
                  {k.label}
                </option>
              ))}
            </select>
          </label>
          <Field
            label="Column mapping (CSV only, one COLUMN=field per line)"
            name="import-mapping"
            value={mapping}
            onInput={(value) => {
              setMapping(value);
              setChecked(null);
              setMapped(null);
            }}
            multiline
            hint="Usually not needed: Upwork, Freelancer, Google and Outlook headers are recognised; 'Check the file' lists the other columns, and you choose whether to ignore them or keep each as a custom field. Use field 'ignore' to skip a column; in a contacts file, the column naming each contact's client maps to 'client'."
          />
          <Field
            label="Archive password (protected Bidwell exports only)"
            name="import-password"
            type="password"
            value={password}
            onInput={setPassword}
          />
          <div class="form-actions">
            <button onClick={() => void run(true)}>Check the file</button>
            <button class="primary" onClick={() => void run(false)}>
              Import
            </button>
          </div>
        </>
      )}
      {checked && <p role="status">{checked}</p>}
      {checked && mapped && <MappingTable mapping={mapped} />}
      {checked && mapped && mapped.unmapped.length > 0 && (
        <UnmappedChoice fields={unmappedFields} keep={keep} onChange={setKeep} />
      )}
      {done && (
        <p role="status" data-testid="import-done">
          {done}
        </p>
      )}
      {problem && (
        <p class="form-error" role="alert" data-testid="import-problem">
          {problem}
        </p>
      )}
    </div>
  );
}
