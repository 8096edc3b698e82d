// When a screen starts reading its data. Preact runs a `useEffect` only
// after the next frame has been painted, so a read started there leaves the
// command unsent for up to a frame (about 16 ms) while an empty screen is
// drawn. Sending a command costs next to nothing, so the reads that fill a
// screen start as soon as it is in the DOM, before that paint.
import { useLayoutEffect } from "preact/hooks";

/** `useEffect` for an effect that asks the core for what the screen shows: it runs before the next paint. */
export function useReadEffect(effect: () => void | (() => void), inputs: readonly unknown[]): void {
  useLayoutEffect(effect, inputs);
}
