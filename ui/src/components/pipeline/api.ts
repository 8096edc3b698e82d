// The dashboard call (the pipeline screens' only command beyond ../../api).
import { invoke } from "@tauri-apps/api/core";
import { asApiError } from "../../api";
import type { Dashboard } from "../../bindings/Dashboard";

export async function dashboard(months: number): Promise<Dashboard> {
  try {
    return await invoke<Dashboard>("dashboard", { months });
  } catch (raw) {
    throw asApiError(raw);
  }
}
