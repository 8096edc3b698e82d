// "Follow up in N days" on a client, a bid or a job: one core call makes an
// open task about the record that reminds at that time (N days from now).
// A bid's card on the board has the short form, one button for the default
// N: the days field does not fit a card, and eighty of them were 40 % of
// the board's style and layout (docs/performance.md). The bid's page has
// the full form.
import { useState } from "preact/hooks";
import * as api from "../api";
import { dateText } from "../dates";
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

/** Adds the follow-up task about `subject` in `days` days, saying so; `busy` while the core works. */
function useFollowUp(subject: Subject): { busy: boolean; followUp: (days: string) => Promise<void> } {
  const [busy, setBusy] = useState(false);

  async function followUp(days: string) {
    const dueAt = followUpTime(days);
    if (!dueAt) {
      notify(`Follow up in 0 to ${MAX_DAYS} days.`, { tone: "error" });
      return;
    }
    setBusy(true);
    try {
      const task = await api.tasks.followUp(subject, dueAt);
      notify(`Added "${task.title}", reminding ${dateText(dueAt)}.`);
    } catch (raw) {
      notify(`The follow-up could not be added: ${api.describe(api.asApiError(raw))}`, { tone: "error" });
    } finally {
      setBusy(false);
    }
  }

  return { busy, followUp };
}

export function FollowUp({ subject, what }: { subject: Subject; what: string }) {
  const [days, setDays] = useState(String(DEFAULT_FOLLOW_UP_DAYS));
  const { busy, followUp } = useFollowUp(subject);
  const id = `follow-up-days-${subject.id}`;

  return (
    <span class="follow-up" role="group" aria-label={`Follow up on ${what}`}>
      <button class="small" disabled={busy} onClick={() => void followUp(days)}>
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

/** One button: a follow-up in the default number of days. */
export function QuickFollowUp({ subject, what }: { subject: Subject; what: string }) {
  const { busy, followUp } = useFollowUp(subject);
  return (
    <button
      class="small follow-up-quick"
      disabled={busy}
      aria-label={`Follow up on ${what} in ${DEFAULT_FOLLOW_UP_DAYS} days`}
      onClick={() => void followUp(String(DEFAULT_FOLLOW_UP_DAYS))}
    >
      Follow up in {DEFAULT_FOLLOW_UP_DAYS} days
    </button>
  );
}
