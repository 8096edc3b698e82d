// Applies the theme preference: "system" leaves it to the OS (prefers-color-scheme).
import type { Theme } from "./bindings/Theme";

export function applyTheme(theme: Theme): void {
  if (theme === "system") delete document.documentElement.dataset["theme"];
  else document.documentElement.dataset["theme"] = theme;
}
