/**
 * The autopilot: the admission rate set by the origin's own health, as a pure
 * function of (input, state, now). Turned on, it looks for the highest rate
 * at which the origin's p95 stays at or under ORIGIN_TARGET_P95_MS and its
 * error share at or under ORIGIN_MAX_ERROR_RATE, within AUTOPILOT_MIN_RATE
 * and AUTOPILOT_MAX_RATE, and follows it as the origin's capacity changes.
 *
 * The rule behaves like a careful operator:
 * - **Back off fast, by how much it hurts.** When the last {@link RECENT_MS}
 *   breach the target, the rate is cut at once, from what was really being
 *   admitted (a rate far above the arrivals protects nothing: the cut starts
 *   from the offers actually made), by the overshoot: target / p95 (between
 *   x{@link MIN_CUT} and x{@link MAX_CUT}), and on errors the share the
 *   origin still serves, (1 - errors) x {@link MAX_CUT} (from
 *   x{@link MIN_ERROR_CUT}): a saturated origin serves its capacity and
 *   refuses the rest. With a
 *   queue the rate in force is what is admitted; without one, the offers
 *   made over the last 10-30 s (never less than half the rate). A cut right
 *   after a probe that went too far goes back to just under the last healthy
 *   rate instead ({@link PROBE_BACK}): the origin was fine there seconds ago.
 * - **Let a cut act before the next one.** Visitors already in keep browsing,
 *   so the load falls some time after the rate does: no second cut within
 *   {@link CUT_GAP_MS}, none while the origin is visibly recovering within
 *   {@link RECOVERY_MS} (p95, errors or the load itself below
 *   {@link RECOVERY_SHARE} of their values at the cut, p95 and errors not
 *   worse), and within that time latency alone never takes the rate below
 *   half of where the episode of trouble began (errors may).
 * - **Probe upwards slowly, and only with demand.** An increase needs a
 *   queue (no demand, no increase: the rate would not be used, so nothing
 *   would be learned), the last change to have settled ({@link SETTLE_MS}: the
 *   load of the visitors admitted at the new rate has arrived), and the
 *   origin healthy over that time with margin (p95 at most
 *   {@link HEALTHY_P95_SHARE} of the target, errors at most
 *   {@link HEALTHY_ERROR_SHARE} of the maximum). Far from trouble it steps
 *   x{@link PROBE_STEP}; within {@link NEAR_BREACH} of the rate where the
 *   origin last hurt (where the episode of trouble began), x{@link NEAR_STEP},
 *   so it settles below the cliff instead of jumping off it. Once it is
 *   healthy clearly past that rate ({@link FORGET_BREACH}: the origin got
 *   more capacity), the memory goes and the big steps come back.
 * - **Learn the capacity.** The highest rate the origin sustained healthy
 *   with a queue (so it was really used) is `learned`; a breach at or below
 *   it forgets it (the capacity fell) and it is learned again.
 * - **Never learn from a room that does not admit** (paused, closed,
 *   passthrough): it holds.
 *
 * The store's Lua (`store/lua/autopilot.ts`) runs this rule inside the
 * admission scripts (one writer, atomic, Redis's clock); it is the one
 * implementation in production, and a test runs both on the same inputs and
 * requires the same decisions (`test/node/autopilot-twin.test.ts`).
 * Decisions are made at most every {@link DECIDE_EVERY_MS}.
 */
import type { Mode } from "./admission.ts";
import type { OriginFigures } from "./origin-signal.ts";

/** Least time between two decisions. */
export const DECIDE_EVERY_MS = 2_000;
/** The store keeps the fleet's figures in slots of this length. */
export const SLOT_MS = 1_000;
/** Slots kept: the last minute (the operator's figures; the decisions read less). */
export const WINDOW_SLOTS = 60;
/** A breach is judged on this much of the latest figures. */
export const RECENT_MS = 5_000;
/** An increase waits this long after any change, and judges the origin over this much of the latest figures. */
export const SETTLE_MS = 10_000;
/** Least time between two cuts. */
export const CUT_GAP_MS = 8_000;
/**
 * Within this time after a cut, no further cut while the origin recovers:
 * visitors admitted before the cut keep bringing load until their visits
 * end, so an origin saturated by them stays slow for a while (its p95 pinned
 * at its limit) however low the rate goes; cutting on every decision then
 * would send the rate to the minimum.
 */
export const RECOVERY_MS = 30_000;
/** Recovering: a figure at most this share of its value at the cut (p95, error share, requests). */
export const RECOVERY_SHARE = 0.9;
/** Fewest origin requests in a window to judge it by. */
export const MIN_JUDGE_REQUESTS = 10;
/** Healthy enough to go up: p95 at most this share of the target. */
export const HEALTHY_P95_SHARE = 0.9;
/** Healthy enough to go up: error share at most this share of the maximum. */
export const HEALTHY_ERROR_SHARE = 0.5;
/** Increase far from the last breach. */
export const PROBE_STEP = 1.2;
/** Increase near (above this share of) the rate of the last breach. */
export const NEAR_STEP = 1.03;
/** "Near the last breach": above this share of its rate. */
export const NEAR_BREACH = 0.9;
/**
 * Healthy at this multiple of the rate where the origin last hurt: it grew,
 * and the big steps come back. Well above it, because the rate at which a
 * busy origin first hurts varies by 10% or so from one episode to the next.
 */
export const FORGET_BREACH = 1.15;
/** A probe that went too far goes back to this share of the last healthy rate. */
export const PROBE_BACK = 0.95;
/** A cut without a queue starts from the offers made, but from at least this share of the rate. */
export const USED_FLOOR = 0.25;
/** Least step up: a rate near 0 (a minimum of 0, or cuts rounded down) still climbs. */
export const MIN_PROBE_STEP = 1;
/**
 * An autopilot that has not decided for this long (it was off, or nobody
 * came) starts again from the rate in force when it next runs, keeping what
 * it learned: its old rate says nothing of the origin now.
 */
export const RESTART_AFTER_MS = 300_000;
/** Smallest and largest cut factor (p95: target / p95 within them). */
export const MIN_CUT = 0.5;
/**
 * Smallest cut factor on errors: an origin refusing most requests serves
 * about its capacity, so the share it still serves, (1 - errors) x
 * {@link MAX_CUT}, is the rate it can take, down to this factor.
 */
export const MIN_ERROR_CUT = 0.2;
export const MAX_CUT = 0.9;
/** The offers really made are measured over at least this long (fewer places are noise)... */
export const OFFER_SPAN_MS = 10_000;
/** ...and over at most this long: older offers say nothing of the current rate. */
export const OFFER_WINDOW_MS = 30_000;

/** What bounds and steers the autopilot: in force from settings or wrangler.toml. */
export interface AutopilotLimits {
  readonly minRate: number;
  readonly maxRate: number;
  readonly targetP95Ms: number;
  readonly maxErrorRate: number;
}

/**
 * The autopilot's settings in force (an operator's live value, else an
 * event's for `on`, else wrangler.toml): whether it steers the rate, its
 * limits, and how long the worker waits for the origin's response headers
 * before counting a request as failed.
 */
export interface AutopilotSettings extends AutopilotLimits {
  readonly on: boolean;
  readonly timeoutMs: number;
}

/**
 * What the autopilot remembers between decisions (in the store: the
 * autopilot hash). Times in ms, store clock; 0 = none.
 */
export interface AutopilotState {
  /** The rate in force, per minute. */
  readonly rate: number;
  /** Last decision. */
  readonly decidedAt: number;
  /** Places offered (admitted count) at `offeredAt`: the offers since measure the rate really used. */
  readonly offered: number;
  readonly offeredAt: number;
  /** Last change of the rate (by the autopilot, an operator or an event). */
  readonly changedAt: number;
  /** What the last change was. */
  readonly lastKind: "up" | "down" | "set";
  /** Rate at which the origin last hurt (0 = none remembered). */
  readonly breachRate: number;
  /** Last rate judged healthy with a queue (0 = none). */
  readonly healthyRate: number;
  /** Highest rate the origin sustained while healthy with a queue (0 = not yet known). */
  readonly learned: number;
  /** p95 (ms) and error share when the rate was last cut: whether the origin recovers since. */
  readonly cutP95Ms: number;
  readonly cutErrorRate: number;
  /** Origin requests in the last {@link RECENT_MS} at the cut: the load, which falls as the visitors admitted before it leave. */
  readonly cutRequests: number;
}

/** What a decision looks at, besides the state. */
export interface AutopilotInput {
  readonly mode: Mode;
  /** Visitors are waiting (the last ticket is beyond the places offered). */
  readonly queue: boolean;
  /**
   * The active-users cap (MAX_ACTIVE) holds the queue back, not the rate: a
   * higher rate would not be used, so it is not probed (nor learned).
   */
  readonly capped?: boolean;
  /** Places offered so far (the admitted count). */
  readonly offered: number;
  /** The origin over the last {@link RECENT_MS}. */
  readonly recent: OriginFigures;
  /** The origin over the last {@link SETTLE_MS}. */
  readonly settled: OriginFigures;
}

/** Why the rate changed, with the figures behind it. */
export type ChangeReason =
  | { readonly code: "p95_high"; readonly p95Ms: number; readonly targetMs: number }
  | { readonly code: "errors_high"; readonly errorRate: number; readonly maxErrorRate: number }
  | { readonly code: "healthy"; readonly p95Ms: number; readonly targetMs: number }
  /** An operator set the rate: the new starting point. */
  | { readonly code: "operator" }
  /** Autopilot turned on: it starts from the rate in force. */
  | { readonly code: "started" }
  /** A scheduled event started with a rate: the new starting point. */
  | { readonly code: "event" }
  /** The bounds changed and the rate was outside them. */
  | { readonly code: "bounds"; readonly minRate: number; readonly maxRate: number };

/** Why the rate stayed. */
export type HoldReason =
  | "capped"
  | "not_admitting"
  | "too_few_requests"
  | "recovering"
  | "cut_gap"
  | "at_min"
  | "settling"
  | "no_queue"
  | "in_band"
  | "at_max";

export type AutopilotDecision =
  /** Not time to decide yet: nothing changes. */
  | { readonly kind: "wait" }
  | { readonly kind: "hold"; readonly why: HoldReason; readonly state: AutopilotState }
  | {
      readonly kind: "change";
      readonly from: number;
      readonly to: number;
      readonly reason: ChangeReason;
      readonly state: AutopilotState;
    };

/** A rate as stored: two decimals (the same in Lua: floor(x * 100 + 0.5) / 100). */
export function roundRate(rate: number): number {
  return Math.floor(rate * 100 + 0.5) / 100;
}

/** A rate within the bounds. */
export function clampRate(rate: number, limits: AutopilotLimits): number {
  return Math.min(limits.maxRate, Math.max(limits.minRate, rate));
}

/** The state of an autopilot (re)started at `rate` (clamped) at `now`: nothing learned carries over but `learned`. */
export function startState(rate: number, limits: AutopilotLimits, now: number, learned = 0): AutopilotState {
  return {
    rate: roundRate(clampRate(rate, limits)),
    decidedAt: 0,
    offered: 0,
    offeredAt: 0,
    changedAt: now,
    lastKind: "set",
    breachRate: 0,
    healthyRate: 0,
    learned,
    cutP95Ms: 0,
    cutErrorRate: 0,
    cutRequests: 0,
  };
}

/**
 * The autopilot's decision at `now`: wait (decided less than
 * {@link DECIDE_EVERY_MS} ago), hold (with why), or change the rate (with the
 * reason, in figures). The state returned is the one to keep.
 *
 * @example
 * ```ts
 * const limits = { minRate: 10, maxRate: 1000, targetP95Ms: 800, maxErrorRate: 0.01 };
 * const slow = { requests: 200, errors: 0, errorRate: 0, p50Ms: 900, p95Ms: 1600 };
 * const state = { ...startState(300, limits, 0), decidedAt: 1, offered: 0, offeredAt: 1 };
 * decide({ mode: "auto", queue: true, offered: 150, recent: slow, settled: slow }, state, limits, 30_001);
 * // { kind: "change", from: 300, to: 150, reason: { code: "p95_high", p95Ms: 1600, targetMs: 800 }, ... }
 * ```
 */
export function decide(
  input: AutopilotInput,
  state: AutopilotState,
  limits: AutopilotLimits,
  now: number,
): AutopilotDecision {
  if (state.decidedAt > 0 && now - state.decidedAt < DECIDE_EVERY_MS) return { kind: "wait" };
  // The rate really used: the offers made over the last 10-30 s (a rate far above the arrivals is
  // not used). A cut starts from it, but from no less than a quarter of the rate: offers that stopped
  // (nobody arrived) must not send the rate to the minimum, from where it would take minutes to come
  // back. With a queue the frontier moves at the rate in force, so that is the rate used.
  const span = now - state.offeredAt;
  const measured = state.offeredAt > 0 && span >= DECIDE_EVERY_MS && span <= OFFER_WINDOW_MS;
  const used = measured ? (Math.max(0, input.offered - state.offered) * 60_000) / span : state.rate;
  const base = input.queue ? state.rate : Math.min(state.rate, Math.max(used, state.rate * USED_FLOOR));
  const renew = state.offeredAt <= 0 || span >= OFFER_SPAN_MS || span < 0;
  const next: AutopilotState = {
    ...state,
    decidedAt: now,
    offered: renew ? input.offered : state.offered,
    offeredAt: renew ? now : state.offeredAt,
  };
  const hold = (why: HoldReason, changed: AutopilotState = next): AutopilotDecision => ({
    kind: "hold",
    why,
    state: changed,
  });
  // A room that admits nobody teaches nothing, and its pause is no settle time.
  if (input.mode !== "auto" && input.mode !== "queue-all") return hold("not_admitting", { ...next, changedAt: now });

  const recent = input.recent;
  const judged = recent.requests >= MIN_JUDGE_REQUESTS;
  // Few requests and nobody waiting: nothing to judge, and nothing to gain.
  if (!judged && !input.queue) return hold("too_few_requests");
  const p95 = recent.p95Ms ?? 0;
  const slow = judged && p95 > limits.targetP95Ms;
  const failing = judged && recent.errorRate > limits.maxErrorRate;
  if (slow || failing) {
    const sinceChange = now - state.changedAt;
    if (state.lastKind === "down" && sinceChange < CUT_GAP_MS) return hold("cut_gap");
    // Recovering: something got better since the cut (p95, errors, or the load itself, as the
    // visitors admitted before it leave) and nothing got worse.
    const improving =
      p95 < state.cutP95Ms * RECOVERY_SHARE ||
      recent.errorRate < state.cutErrorRate * RECOVERY_SHARE ||
      recent.requests < state.cutRequests * RECOVERY_SHARE;
    // Worse: p95 up by more than the noise, or the error share up by more than the maximum allowed.
    const worse = p95 > state.cutP95Ms / RECOVERY_SHARE || recent.errorRate > state.cutErrorRate + limits.maxErrorRate;
    const recovering = state.lastKind === "down" && sinceChange < RECOVERY_MS && improving && !worse;
    if (recovering) return hold("recovering");
    // The origin hurt at this rate: a breach at or below what it was thought to sustain means the capacity fell.
    const learned = state.learned > 0 && state.learned >= base ? 0 : state.learned;
    const cut = Math.min(
      slow ? Math.min(MAX_CUT, Math.max(MIN_CUT, limits.targetP95Ms / p95)) : MAX_CUT,
      failing ? Math.min(MAX_CUT, Math.max(MIN_ERROR_CUT, (1 - recent.errorRate) * MAX_CUT)) : MAX_CUT,
    );
    let to = base * cut;
    // A probe that went too far: back to just under where the origin was fine seconds ago.
    if (state.lastKind === "up" && state.healthyRate > 0 && state.healthyRate * PROBE_BACK > to) {
      to = Math.min(state.healthyRate * PROBE_BACK, base);
    }
    // Latency alone takes the rate at most to half of where this episode of trouble began, within
    // RECOVERY_MS: the visitors let in before the cuts keep the origin slow for a while (the lag), and
    // cutting on that sends the rate far below the capacity. Errors may cut deeper.
    const episode = state.lastKind === "down" && sinceChange < RECOVERY_MS && state.breachRate > 0;
    const floor = episode && !failing ? state.breachRate * MIN_CUT : 0;
    to = roundRate(clampRate(Math.max(to, floor), limits));
    const breached: AutopilotState = {
      ...next,
      // Where this episode of trouble began; the cuts that follow it act on the lag, not on the origin's limit.
      breachRate: state.lastKind === "down" && state.breachRate > 0 ? state.breachRate : roundRate(base),
      learned,
      cutP95Ms: p95,
      cutErrorRate: recent.errorRate,
      cutRequests: recent.requests,
    };
    if (to >= state.rate) return hold(state.rate <= limits.minRate ? "at_min" : "cut_gap", breached);
    const reason: ChangeReason = slow
      ? { code: "p95_high", p95Ms: p95, targetMs: limits.targetP95Ms }
      : { code: "errors_high", errorRate: recent.errorRate, maxErrorRate: limits.maxErrorRate };
    return {
      kind: "change",
      from: state.rate,
      to,
      reason,
      state: { ...breached, rate: to, changedAt: now, lastKind: "down" },
    };
  }

  if (now - state.changedAt < SETTLE_MS) return hold("settling");
  const settled = input.settled;
  // Few requests while people wait (a low rate): no sign of trouble, so it may probe, but learns nothing.
  const quiet = settled.requests < MIN_JUDGE_REQUESTS;
  if (quiet && (settled.errors > 0 || !input.queue)) return hold("too_few_requests");
  const settledP95 = settled.p95Ms ?? 0;
  const healthy =
    settledP95 <= limits.targetP95Ms * HEALTHY_P95_SHARE &&
    settled.errorRate <= limits.maxErrorRate * HEALTHY_ERROR_SHARE;
  if (!quiet && !healthy) return hold("in_band");
  if (!input.queue) return hold("no_queue");
  if (input.capped === true) return hold("capped");
  // Healthy with a queue at this rate, for a whole settle time: sustained.
  const rate = state.rate;
  const learnedNow: AutopilotState = quiet
    ? next
    : {
        ...next,
        healthyRate: rate,
        learned: Math.max(state.learned, rate),
        // Healthy clearly past the rate where it last hurt: the origin grew, the memory goes.
        breachRate: state.breachRate > 0 && rate >= state.breachRate * FORGET_BREACH ? 0 : state.breachRate,
      };
  if (rate >= limits.maxRate) return hold("at_max", learnedNow);
  const breach = learnedNow.breachRate;
  let to = Math.max(rate * PROBE_STEP, rate + MIN_PROBE_STEP);
  if (breach > 0 && to > breach * NEAR_BREACH) to = Math.max(breach * NEAR_BREACH, rate * NEAR_STEP);
  to = roundRate(clampRate(to, limits));
  if (to <= rate) return hold("at_max", learnedNow);
  return {
    kind: "change",
    from: rate,
    to,
    reason: { code: "healthy", p95Ms: settledP95, targetMs: limits.targetP95Ms },
    state: { ...learnedNow, rate: to, changedAt: now, lastKind: "up" },
  };
}

/**
 * A change in an operator's words.
 *
 * @example
 * ```ts
 * describeChange({ code: "p95_high", p95Ms: 1840, targetMs: 800 }, 300, 210);
 * // "origin p95 1840 ms > target 800 ms: 300 -> 210/min"
 * ```
 */
export function describeChange(reason: ChangeReason, from: number, to: number): string {
  const move = `${formatRate(from)} -> ${formatRate(to)}/min`;
  switch (reason.code) {
    case "p95_high":
      return `origin p95 ${Math.round(reason.p95Ms)} ms > target ${reason.targetMs} ms: ${move}`;
    case "errors_high":
      return `origin errors ${percent(reason.errorRate)} > ${percent(reason.maxErrorRate)}: ${move}`;
    case "healthy":
      return `origin healthy (p95 ${Math.round(reason.p95Ms)} ms, target ${reason.targetMs} ms) with a queue: ${move}`;
    case "operator":
      return `operator set the rate: ${move}`;
    case "started":
      return `autopilot on, starting at ${formatRate(to)}/min`;
    case "event":
      return `scheduled event started: ${move}`;
    case "bounds":
      return `rate kept within ${formatRate(reason.minRate)}-${formatRate(reason.maxRate)}/min: ${move}`;
  }
}

/** Why the rate stays, in an operator's words. */
export function describeHold(why: HoldReason): string {
  switch (why) {
    case "capped":
      return "holding: the active-users cap holds the queue back, not the rate";
    case "not_admitting":
      return "holding: the room is not admitting (paused, closed or passthrough), nothing to learn";
    case "too_few_requests":
      return "holding: too few origin requests to judge";
    case "recovering":
      return "holding: the origin is recovering since the last cut";
    case "cut_gap":
      return "holding: letting the last cut act";
    case "at_min":
      return "holding at the minimum rate although the origin is over target";
    case "settling":
      return "holding: waiting for the load of the last change to arrive";
    case "no_queue":
      return "holding: nobody waits, so a higher rate would not be used";
    case "in_band":
      return "holding: the origin is near its target";
    case "at_max":
      return "holding at the maximum rate";
  }
}

function formatRate(rate: number): string {
  return String(roundRate(rate));
}

function percent(share: number): string {
  return `${Math.round(share * 1000) / 10}%`;
}
