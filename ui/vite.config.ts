import { defineConfig } from "vite";

// Tauri serves the built files itself; the dev server is only for `tauri dev`.
// JSX compiles to Preact (tsconfig's jsxImportSource).
export default defineConfig({
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: { target: "es2022", outDir: "dist", emptyOutDir: true },
});
