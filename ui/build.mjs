// Builds the UI bundle into dist/ without touching it when nothing changed.
//
// The app's build script (tauri-build) watches dist/ by file times, so an
// identical bundle written again rebuilds the release app: 2-3 minutes on
// two cores, several times in one CI run. Vite empties its output folder
// before writing, so the bundle is built into a fresh folder first and moved
// into dist/ only when some file differs (Vite's output is deterministic:
// the same sources give the same bytes and file names).
import { build } from "vite";
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const dist = "dist";

/** Every file under `dir`, as paths relative to it, sorted. */
function files(dir) {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
      .sort();
  } catch (error) {
    if (error.code === "ENOENT") return null;
    throw error;
  }
}

function sameTree(a, b) {
  const left = files(a);
  const right = files(b);
  if (left === null || right === null || left.length !== right.length) return false;
  return left.every((path, i) => path === right[i] && readFileSync(join(a, path)).equals(readFileSync(join(b, path))));
}

const staging = mkdtempSync(join(tmpdir(), "bidwell-ui-"));
try {
  await build({ build: { outDir: staging, emptyOutDir: true } });
  if (sameTree(staging, dist)) {
    console.log(`${dist}/ already holds this bundle; left as it was`);
  } else {
    rmSync(dist, { recursive: true, force: true });
    try {
      renameSync(staging, dist);
    } catch (error) {
      // The temporary folder may be on another file system.
      if (error.code !== "EXDEV") throw error;
      cpSync(staging, dist, { recursive: true });
    }
    console.log(`${dist}/ updated`);
  }
} finally {
  rmSync(staging, { recursive: true, force: true });
}
