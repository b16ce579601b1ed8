import type { QueuedView } from "../../worker/gate/gate.ts";

/** A waiting visitor's figures for page tests: position 1234, 56 ahead, 5 minutes to wait, 42 % of the way. */
export const QUEUED_VIEW: QueuedView = {
  position: 1234,
  ahead: 56,
  etaSeconds: 300,
  refreshSeconds: 10,
  progress: 0.42,
  delayed: false,
  paused: false,
};
