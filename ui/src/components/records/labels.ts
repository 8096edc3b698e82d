// Human labels for the core's enums, in the order menus show them.
import type { CustomFieldType } from "../../bindings/CustomFieldType";
import type { EntityKind } from "../../bindings/EntityKind";
import type { ActivityKind } from "../../bindings/ActivityKind";
import type { ClientKind } from "../../bindings/ClientKind";
import type { ProjectStatus } from "../../bindings/ProjectStatus";
import type { RateType } from "../../bindings/RateType";

export const CLIENT_KINDS: readonly (readonly [ClientKind, string])[] = [
  ["person", "Person"],
  ["company", "Company"],
];

export const PROJECT_STATUSES: readonly (readonly [ProjectStatus, string])[] = [
  ["lead", "Lead"],
  ["active", "Active"],
  ["on_hold", "On hold"],
  ["completed", "Completed"],
  ["cancelled", "Cancelled"],
];

export const RATE_TYPES: readonly (readonly [RateType, string])[] = [
  ["fixed", "Fixed price"],
  ["hourly", "Hourly"],
];

export const ACTIVITY_KINDS: readonly (readonly [ActivityKind, string])[] = [
  ["note", "Note"],
  ["call", "Call"],
  ["email", "Email"],
  ["meeting", "Meeting"],
  ["message", "Message"],
];

export function labelOf<V extends string>(options: readonly (readonly [V, string])[], value: V): string {
  return options.find(([v]) => v === value)?.[1] ?? value;
}

/** Whether a key event is typed into a field (then screen shortcuts stay out of the way). */
export function isTyping(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement | null;
  if (!t) return false;
  return t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName);
}

/** The kinds of record that carry tags and custom fields, as the UI names them. */
export const FIELD_KINDS: readonly (readonly [EntityKind, string])[] = [
  ["client", "Clients"],
  ["contact", "Contacts"],
  ["project", "Projects"],
  ["job", "Jobs"],
  ["bid", "Bids"],
  ["milestone", "Milestones"],
];

export const FIELD_TYPES: readonly (readonly [CustomFieldType, string])[] = [
  ["text", "Text"],
  ["number", "Number"],
  ["date", "Date"],
  ["choice", "Choice"],
  ["money", "Money (amount and currency)"],
  ["link", "Link (web address)"],
];
