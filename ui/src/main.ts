// The first window: says whether this machine has a workspace yet. The full
// screens (setup, unlock, dashboard, lists) are built on this shell next.
import { invoke } from "@tauri-apps/api/core";
import type { ApiError } from "./bindings/ApiError";
import type { WorkspaceState } from "./bindings/WorkspaceState";

const status = document.querySelector<HTMLParagraphElement>("#status");

function describe(state: WorkspaceState): string {
  switch (state.state) {
    case "missing":
      return "No workspace on this computer yet. Create one with: bidwell init";
    case "locked":
      return `Workspace “${state.name}” is here, encrypted and locked (unlocked by ${
        state.protection === "keychain" ? "the system keychain" : "a passphrase"
      }).`;
  }
}

async function show(): Promise<void> {
  if (!status) return;
  try {
    status.textContent = describe(await invoke<WorkspaceState>("workspace_state"));
  } catch (raw) {
    const err = raw as ApiError;
    status.textContent = `Could not read the workspace (${err.code}): ${err.message}`;
  }
}

void show();
