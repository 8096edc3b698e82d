// When a screen starts reading its data. Preact runs a `useEffect` only
// after the next frame has been painted, so a read started there leaves the
// command unsent for up to a frame (about 16 ms) while an empty screen is
// drawn. Sending a command costs next to nothing, so the reads that fill a
// screen start as soon as it is in the DOM, before that paint.
import { useLayoutEffect, useRef } from "preact/hooks";

/** `useEffect` for an effect that asks the core for what the screen shows: it runs before the next paint. */
export function useReadEffect(effect: () => void | (() => void), inputs: readonly unknown[]): void {
  useLayoutEffect(effect, inputs);
}

/**
 * `useReadEffect` for a read whose first answer the screen may hold
 * already (`given`: read with the rest of the screen, as a client's page
 * reads its lists): that first run is skipped, and a change of `inputs`
 * reads.
 */
export function useReadEffectUnlessGiven(given: boolean, read: () => void, inputs: readonly unknown[]): void {
  const readAlready = useRef(given);
  useReadEffect(() => {
    if (readAlready.current) readAlready.current = false;
    else read();
  }, inputs);
}
