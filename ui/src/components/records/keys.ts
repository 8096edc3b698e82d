// The keys every record form answers: Ctrl+Enter (Cmd+Enter) saves from any
// field, Esc cancels without saving and stops there (the page's own Esc
// would leave it).
export function formKeys(cancel?: () => void) {
  return (e: KeyboardEvent) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      (e.currentTarget as HTMLFormElement).requestSubmit();
    } else if (e.key === "Escape" && cancel) {
      e.preventDefault();
      e.stopPropagation();
      cancel();
    }
  };
}
