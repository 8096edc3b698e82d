import { defineConfig } from "vitest/config";

// Tauri serves the built files itself; the dev server is only for `tauri dev`.
// JSX compiles to Preact (tsconfig's jsxImportSource). The unit tests
// (src/**/*.test.ts[x]) run in a simulated DOM; the real window is e2e's.
export default defineConfig({
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { target: "es2022", outDir: "dist", emptyOutDir: true },
  test: { environment: "happy-dom", include: ["src/**/*.test.{ts,tsx}"], setupFiles: ["src/testing/setup.ts"], restoreMocks: true },
});
