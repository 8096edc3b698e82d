// "Follow up in N days" on a client, a bid or a job: one core call makes an
// open task about the record that reminds at that time (N days from now).
import { useState } from "preact/hooks";
import * as api from "../api";
import type { Subject } from "../bindings/Subject";
import { notify } from "../state";

/** The default the issue asks for; the user changes N in place. */
export const DEFAULT_FOLLOW_UP_DAYS = 3;
const MAX_DAYS = 365;

/** `days` whole days after `now`, as UTC ISO for the core; null unless 0…365. */
export function followUpTime(days: string, now: Date = new Date()): string | null {
  const n = Number(days);
  if (days.trim() === "" || !Number.isInteger(n) || n < 0 || n > MAX_DAYS) return null;
  return new Date(now.getTime() + n * 24 * 60 * 60 * 1000).toISOString();
}

export function FollowUp({ subject, what }: { subject: Subject; what: string }) {
  const [days, setDays] = useState(String(DEFAULT_FOLLOW_UP_DAYS));
  const [busy, setBusy] = useState(false);
  const id = `follow-up-days-${subject.id}`;

  async function followUp() {
    const dueAt = followUpTime(days);
    if (!dueAt) {
      notify(`Follow up in 0 to ${MAX_DAYS} days.`, { tone: "error" });
      return;
    }
    setBusy(true);
    try {
      const task = await api.tasks.followUp(subject, dueAt);
      notify(`Added "${task.title}", reminding ${new Date(dueAt).toLocaleDateString()}.`);
    } catch (raw) {
      notify(`The follow-up could not be added: ${api.describe(api.asApiError(raw))}`, { tone: "error" });
    } finally {
      setBusy(false);
    }
  }

  return (
    <span class="follow-up" role="group" aria-label={`Follow up on ${what}`}>
      <button class="small" disabled={busy} onClick={() => void followUp()}>
        Follow up in
      </button>
      <input
        id={id}
        class="days"
        type="number"
        min={0}
        max={MAX_DAYS}
        value={days}
        aria-label="Days from now"
        onInput={(e) => setDays(e.currentTarget.value)}
      />
      <label for={id}>days</label>
    </span>
  );
}
