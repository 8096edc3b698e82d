// Run before every unit test file: what one test left in the lists' kept
// places and filters (places.ts) never reaches the next.
import { afterEach } from "vitest";
import { forgetPlaces } from "../places";

afterEach(() => forgetPlaces());
