// The autopilot's rule exists twice by design: the pure TypeScript of
// model/autopilot.ts and model/origin-signal.ts (unit-tested, read by
// people), and its Lua twin in store/lua/autopilot.ts, the one that runs in
// production inside the admission scripts. This property test gives both the
// same random inputs and requires the same answers, field by field and double
// for double: decide() (every branch: wait, each hold reason, each change),
// quantile() and parseSample() (with garbage: negatives, NaN, extra bins,
// errors above requests). The Lua runs on the suite's real redis-server and on
// the embedded engine (tools/embedded-redis), through a small test script that
// is the admission library plus a body returning cjson.encode of the results,
// with every number written as %.17g so no digit is lost on the way.
import fc from "fast-check";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { EmbeddedRedis } from "../../tools/embedded-redis/embedded-redis.ts";
import { MODES, type Mode } from "../../worker/model/admission.ts";
import {
  type AutopilotDecision,
  type AutopilotInput,
  type AutopilotLimits,
  type AutopilotState,
  type ChangeReason,
  clampRate,
  decide,
  NEAR_STEP,
  PROBE_STEP,
  roundRate,
} from "../../worker/model/autopilot.ts";
import {
  encodeSample,
  figuresOf,
  LATENCY_BINS,
  type OriginFigures,
  type OriginSample,
  parseSample,
  quantile,
} from "../../worker/model/origin-signal.ts";
import { ADMISSION_LUA } from "../../worker/store/lua/advance.ts";

/** The test body: ARGV[1] is a JSON array of cases; the reply is a JSON array of results, numbers as %.17g strings. */
const TWIN_LUA = `${ADMISSION_LUA}
local function exact(v)
  if type(v) == 'number' then return string.format('%.17g', v) end
  if type(v) == 'table' then
    local out = {}
    for k, x in pairs(v) do out[k] = exact(x) end
    return out
  end
  return v
end
local function figures(f)
  return { requests = f.requests, errors = f.errors, error_rate = f.errorRate, p50 = f.p50Ms, p95 = f.p95Ms }
end
local out = {}
for i, c in ipairs(cjson.decode(ARGV[1])) do
  if c.kind == 'decide' then
    local s, l, input = c.state, c.limits, c.input
    local state = { rate = s.rate, decided_at = s.decidedAt, offered = s.offered, offered_at = s.offeredAt,
      changed_at = s.changedAt, last_kind = s.lastKind, breach_rate = s.breachRate, healthy_rate = s.healthyRate,
      learned = s.learned, cut_p95 = s.cutP95Ms, cut_error_rate = s.cutErrorRate, cut_requests = s.cutRequests }
    local limits = { min_rate = l.minRate, max_rate = l.maxRate, target_p95 = l.targetP95Ms,
      max_error_rate = l.maxErrorRate }
    out[i] = exact(decide({ mode = input.mode, queue = input.queue, capped = input.capped, offered = input.offered,
      recent = figures(input.recent), settled = figures(input.settled) }, state, limits, c.now))
  elseif c.kind == 'quantile' then
    out[i] = { value = exact(quantile(c.sample, c.q)) or false }
  else
    out[i] = { sample = exact(parse_sample(c.text)) or false }
  end
end
return cjson.encode(out)
`;

type Case =
  | {
      readonly kind: "decide";
      readonly input: AutopilotInput;
      readonly state: AutopilotState;
      readonly limits: AutopilotLimits;
      readonly now: number;
    }
  | { readonly kind: "quantile"; readonly sample: OriginSample; readonly q: number }
  | { readonly kind: "parse"; readonly text: string };

/** What a case gives, in TypeScript's form. */
type Result = AutopilotDecision | { value: number | null } | { sample: OriginSample | null };

const NOW = 1_800_000_000_000;

/** Figures as cjson sees them: a null p50/p95 left out (cjson turns null into a truthy value). */
function luaFigures(f: OriginFigures) {
  return { ...f, p50Ms: f.p50Ms ?? undefined, p95Ms: f.p95Ms ?? undefined };
}

function payload(cases: readonly Case[]): string {
  return JSON.stringify(
    cases.map((c) =>
      c.kind === "decide"
        ? { ...c, input: { ...c.input, recent: luaFigures(c.input.recent), settled: luaFigures(c.input.settled) } }
        : c,
    ),
  );
}

const num = (v: unknown) => Number(v);

function reasonOf(r: { code: string; x?: string; y?: string }): ChangeReason {
  switch (r.code) {
    case "p95_high":
    case "healthy":
      return { code: r.code, p95Ms: num(r.x), targetMs: num(r.y) };
    case "errors_high":
      return { code: r.code, errorRate: num(r.x), maxErrorRate: num(r.y) };
    default:
      throw new Error(`decide() gave no reason code like ${r.code}`);
  }
}

function stateOf(s: Record<string, string>): AutopilotState {
  return {
    rate: num(s.rate),
    decidedAt: num(s.decided_at),
    offered: num(s.offered),
    offeredAt: num(s.offered_at),
    changedAt: num(s.changed_at),
    lastKind: s.last_kind as AutopilotState["lastKind"],
    breachRate: num(s.breach_rate),
    healthyRate: num(s.healthy_rate),
    learned: num(s.learned),
    cutP95Ms: num(s.cut_p95),
    cutErrorRate: num(s.cut_error_rate),
    cutRequests: num(s.cut_requests),
  };
}

/** The Lua's answer to a case, in TypeScript's form. */
// biome-ignore lint/suspicious/noExplicitAny: decoded JSON of the Lua reply
function resultOf(c: Case, raw: any): Result {
  if (c.kind === "quantile") return { value: raw.value === false ? null : num(raw.value) };
  if (c.kind === "parse") {
    if (raw.sample === false) return { sample: null };
    return {
      sample: { requests: num(raw.sample.requests), errors: num(raw.sample.errors), bins: raw.sample.bins.map(num) },
    };
  }
  if (raw.kind === "wait") return { kind: "wait" };
  if (raw.kind === "hold") return { kind: "hold", why: raw.why, state: stateOf(raw.state) };
  return {
    kind: "change",
    from: num(raw.from),
    to: num(raw.to),
    reason: reasonOf(raw.reason),
    state: stateOf(raw.state),
  };
}

function expected(c: Case): Result {
  if (c.kind === "quantile") return { value: quantile(c.sample, c.q) };
  if (c.kind === "parse") return { sample: parseSample(c.text) };
  return decide(c.input, c.state, c.limits, c.now);
}

// --- arbitraries ---

/** Samples with requests spread over a few bins, small or huge counts. */
const sample: fc.Arbitrary<OriginSample> = fc
  .record({
    bins: fc.array(
      fc.tuple(
        fc.integer({ min: 0, max: LATENCY_BINS - 1 }),
        fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40_000_000 })),
      ),
      { maxLength: 5 },
    ),
    errorShare: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .map(({ bins, errorShare }) => {
    const counts = new Array<number>(LATENCY_BINS).fill(0);
    for (const [bin, count] of bins) counts[bin] = (counts[bin] ?? 0) + count;
    const requests = counts.reduce((a, b) => a + b, 0);
    return { requests, errors: Math.floor(requests * errorShare), bins: counts };
  });

const figures: fc.Arbitrary<OriginFigures> = sample.map(figuresOf);

const limits: fc.Arbitrary<AutopilotLimits> = fc
  .record({
    minRate: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 300 }), fc.double({ min: 0, max: 300, noNaN: true })),
    span: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3000 }), fc.double({ min: 0, max: 3000, noNaN: true })),
    targetP95Ms: fc.oneof(fc.constantFrom(100, 250, 800, 2000), fc.integer({ min: 1, max: 60_000 })),
    maxErrorRate: fc.oneof(fc.constantFrom(0.01, 0.05, 0.5), fc.double({ min: 0, max: 1, noNaN: true })),
  })
  .map(({ minRate, span, targetP95Ms, maxErrorRate }) => ({
    minRate,
    maxRate: minRate + span,
    targetP95Ms,
    maxErrorRate,
  }));

/** A time before NOW: often 0 (none), often close to the thresholds. */
const ago = (max: number) =>
  fc.oneof(
    fc.constant(0),
    fc.integer({ min: 0, max }).map((ms) => NOW - ms),
    fc.constantFrom(1_999, 2_000, 4_000, 9_999, 10_000, 15_000, 30_000, 30_001).map((ms) => NOW - ms),
  );

const rate = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 3000 }),
  fc.double({ min: 0, max: 3000, noNaN: true }).map((r) => Math.floor(r * 100 + 0.5) / 100),
);

const anyState: fc.Arbitrary<AutopilotState> = fc.record({
  rate,
  decidedAt: ago(40_000),
  offered: fc.integer({ min: 0, max: 1_000_000 }),
  offeredAt: fc.oneof(
    ago(40_000),
    fc.integer({ min: 1, max: 5_000 }).map((ms) => NOW + ms),
  ),
  changedAt: ago(60_000),
  lastKind: fc.constantFrom("up", "down", "set"),
  breachRate: rate,
  healthyRate: rate,
  learned: rate,
  cutP95Ms: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 60_000 })),
  cutErrorRate: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })),
  cutRequests: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5_000 })),
});

/** Often a state just below its last breach, so the small steps near the cliff (NEAR_STEP) are taken. */
const state: fc.Arbitrary<AutopilotState> = fc.oneof(
  anyState,
  fc
    .tuple(anyState, fc.double({ min: 0.9, max: 1.3, noNaN: true }))
    .map(([s, over]) => ({ ...s, breachRate: roundRate(s.rate * over) })),
);

const decideCase: fc.Arbitrary<Case> = fc.record({
  kind: fc.constant("decide" as const),
  input: fc.record({
    mode: fc.oneof(fc.constantFrom<Mode>("auto", "queue-all"), fc.constantFrom(...MODES)),
    queue: fc.boolean(),
    capped: fc.oneof(fc.constant(false), fc.constant(false), fc.constant(true)),
    offered: fc.integer({ min: 0, max: 1_100_000 }),
    recent: figures,
    settled: figures,
  }),
  state,
  limits,
  now: fc.constant(NOW),
});

/** Fast, error-free figures of n requests. */
const fast = (n: number): OriginFigures => {
  const bins = new Array<number>(LATENCY_BINS).fill(0);
  bins[2] = n;
  return figuresOf({ requests: n, errors: 0, bins });
};

/** A healthy origin with a queue, settled: the increases (full steps, and small ones near the last breach). */
const healthyCase: fc.Arbitrary<Case> = fc
  .tuple(
    decideCase,
    fc.integer({ min: 10, max: 500 }),
    fc.integer({ min: 10_000, max: 60_000 }),
    fc.option(fc.double({ min: 0.96, max: 1.14, noNaN: true })),
  )
  .map(([c, n, since, near]) =>
    c.kind !== "decide"
      ? c
      : {
          ...c,
          input: { ...c.input, mode: "auto", queue: true, recent: fast(n), settled: fast(n) },
          state: {
            ...c.state,
            changedAt: NOW - since,
            breachRate: near === null ? c.state.breachRate : roundRate(c.state.rate * near),
          },
          limits: { ...c.limits, targetP95Ms: Math.max(100, c.limits.targetP95Ms) },
        },
  );

/** An origin in trouble after a cut: cut gaps, recovery, further cuts by errors or latency. */
const troubleCase: fc.Arbitrary<Case> = fc
  .tuple(
    decideCase,
    fc.integer({ min: 0, max: 20_000 }),
    fc.constantFrom(0.01, 0.05),
    fc.double({ min: 1, max: 1.4, noNaN: true }),
    fc.double({ min: 0.8, max: 1.3, noNaN: true }),
  )
  .map(([c, since, maxErrorRate, worse, load]) =>
    c.kind !== "decide"
      ? c
      : {
          ...c,
          input: { ...c.input, mode: "auto" },
          // The p95 at the cut: a little above today's, so "recovering" is judged near its threshold.
          state: {
            ...c.state,
            lastKind: "down",
            changedAt: NOW - since,
            cutP95Ms: Math.round((c.input.recent.p95Ms ?? 0) * worse),
            // The load at the cut near today's, so "the load fell" is judged near its threshold too.
            cutRequests: Math.round(c.input.recent.requests * load),
          },
          limits: { ...c.limits, maxErrorRate },
        },
  );

/** Fast answers, but too many of them failed: cuts by the error share. */
const failingCase: fc.Arbitrary<Case> = fc
  .tuple(decideCase, fc.integer({ min: 10, max: 500 }), fc.double({ min: 0.02, max: 0.6, noNaN: true }))
  .map(([c, n, share]) => {
    if (c.kind !== "decide") return c;
    const bins = new Array<number>(LATENCY_BINS).fill(0);
    bins[2] = n;
    const recent = figuresOf({ requests: n, errors: Math.floor(n * share), bins });
    return {
      ...c,
      input: { ...c.input, mode: "auto" as const, recent },
      state: { ...c.state, lastKind: "set" as const },
      limits: { ...c.limits, targetP95Ms: 800, maxErrorRate: 0.01 },
    };
  });

const quantileCase: fc.Arbitrary<Case> = fc.record({
  kind: fc.constant("quantile" as const),
  sample,
  q: fc.oneof(fc.constantFrom(0, 0.5, 0.95, 0.99, 1), fc.double({ min: 0, max: 1, noNaN: true })),
});

/** Encodings: valid ones, and each way an instance could send garbage. */
const parseCase: fc.Arbitrary<Case> = fc
  .tuple(
    sample,
    fc.constantFrom(
      "valid",
      "negative",
      "nan",
      "extra_bin",
      "missing_bin",
      "errors_above",
      "sum_off",
      "float",
      "exponent",
      "space",
      "empty_part",
      "plus",
      "huge",
      "long_digits",
      "empty",
      "hex",
    ),
    fc.nat(),
  )
  .map(([s, how, at]) => {
    const parts = encodeSample(s).split(",");
    const i = at % parts.length;
    const set = (value: string) => parts.map((p, j) => (j === i ? value : p)).join(",");
    const text = (() => {
      switch (how) {
        case "valid":
          return parts.join(",");
        case "negative":
          return set(`-${parts[i]}`);
        case "nan":
          return set("NaN");
        case "extra_bin":
          return `${parts.join(",")},0`;
        case "missing_bin":
          return parts.slice(0, -1).join(",");
        case "errors_above":
          return [s.requests, s.requests + 1, ...s.bins].join(",");
        case "sum_off":
          return [s.requests + 1, s.errors, ...s.bins].join(",");
        case "float":
          return set(`${parts[i]}.0`);
        case "exponent":
          return set("1e3");
        case "space":
          return set(` ${parts[i]}`);
        case "empty_part":
          return set("");
        case "plus":
          return set(`+${parts[i]}`);
        case "huge":
          return [2_000_000_000, 0, 2_000_000_000, ...s.bins.slice(1).map(() => 0)].join(",");
        case "long_digits":
          return set(`00000000000${parts[i]}`);
        case "hex":
          return set("0x1");
        default:
          return "";
      }
    })();
    return { kind: "parse" as const, text };
  });

const cases = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: decideCase },
    { weight: 2, arbitrary: healthyCase },
    { weight: 2, arbitrary: troubleCase },
    failingCase,
    quantileCase,
    parseCase,
  ),
  {
    minLength: 1,
    maxLength: 60,
  },
);

// --- engines ---

let real: Redis;
const embedded = new EmbeddedRedis();

beforeAll(async () => {
  real = new Redis(inject("redisUrl"), { protocol: 2, lazyConnect: true, maxRetriesPerRequest: 0 });
  await real.connect();
});
afterAll(() => real.disconnect());

const engines: [string, (json: string) => Promise<string>][] = [
  ["real redis-server", async (json) => String(await real.eval(TWIN_LUA, 0, json))],
  ["embedded engine", async (json) => String(embedded.call(["EVAL", TWIN_LUA, "0", json]))],
];

/** Which branches the random cases reached, per engine run. */
const reached = new Set<string>();

describe.each(engines)("the autopilot's Lua twin on the %s", (_name, run) => {
  it("decides, reads quantiles and parses samples exactly as the TypeScript rule", async () => {
    await fc.assert(
      fc.asyncProperty(cases, async (batch) => {
        const replies = JSON.parse(await run(payload(batch))) as unknown[];
        expect(replies).toHaveLength(batch.length);
        batch.forEach((c, i) => {
          const want = expected(c);
          expect({ case: c, result: resultOf(c, replies[i]) }).toEqual({ case: c, result: want });
          if (c.kind === "decide") {
            const d = want as AutopilotDecision;
            reached.add(d.kind === "hold" ? `hold:${d.why}` : d.kind === "change" ? `change:${d.reason.code}` : "wait");
            // An increase held back near the last breach (NEAR_BREACH, NEAR_STEP) rather than a full step.
            if (d.kind === "change" && d.reason.code === "healthy") {
              const full = roundRate(clampRate(d.from * PROBE_STEP, c.limits));
              if (d.to < full) reached.add("change:healthy_near_breach");
              if (d.to < full && d.to === roundRate(clampRate(d.from * NEAR_STEP, c.limits))) {
                reached.add("change:healthy_near_step");
              }
            }
          } else if (c.kind === "parse") {
            reached.add(`parse:${(want as { sample: unknown }).sample === null ? "refused" : "read"}`);
          }
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe("the random cases above", () => {
  it("reached every decision and both parse outcomes (a weak generator cannot pass unnoticed)", () => {
    expect([...reached].sort()).toEqual(
      [
        "wait",
        "hold:not_admitting",
        "hold:capped",
        "hold:too_few_requests",
        "hold:recovering",
        "hold:cut_gap",
        "hold:at_min",
        "hold:settling",
        "hold:no_queue",
        "hold:in_band",
        "hold:at_max",
        "change:p95_high",
        "change:errors_high",
        "change:healthy",
        "change:healthy_near_breach",
        "change:healthy_near_step",
        "parse:read",
        "parse:refused",
      ].sort(),
    );
  });
});
