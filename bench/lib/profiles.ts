/**
 * Arrival profiles of the surge lab. Time is in profile minutes; a profile
 * minute lasts `--minute` real seconds (time compression). Arrival rates are
 * multiples of the room's admission rate, so a profile keeps its shape at any
 * `--rate`: `arrivals(t)` = 1 means as many newcomers as the room admits.
 */
export interface Profile {
  readonly name: "tv" | "drop" | "steady";
  /** Default length, in profile minutes. */
  readonly minutes: number;
  readonly description: string;
  /** Newcomers per profile minute at profile time t, as a multiple of the admission rate. */
  arrivals(t: number): number;
}

const TV_BASE = 0.05;
const DROP_EARLY = 0.15;

export const PROFILES: Record<Profile["name"], Profile> = {
  tv: {
    name: "tv",
    minutes: 10,
    description:
      "baseline at 0.05x the admission rate for 2 minutes, then a linear jump to 100x the baseline (5x the admission rate) within 60 s, decaying exponentially (time constant 1 minute)",
    arrivals: (t) => {
      if (t < 2) return TV_BASE;
      if (t < 3) return TV_BASE + 99 * TV_BASE * (t - 2);
      return TV_BASE + 99 * TV_BASE * Math.exp(-(t - 3));
    },
  },
  drop: {
    name: "drop",
    minutes: 8,
    description:
      "a product drop's opening-minute rush: 1 minute of early arrivals at 0.15x the admission rate, then at the opening 12x the admission rate decaying exponentially (time constant 0.4 minute). There is no pre-queue or lottery yet (issue 4): early arrivals are simply admitted or queued as they come, so this simulates the opening rush only",
    arrivals: (t) => (t < 1 ? DROP_EARLY : DROP_EARLY + 12 * Math.exp(-(t - 1) / 0.4)),
  },
  steady: {
    name: "steady",
    minutes: 6,
    description:
      "a constant 1.5x the admission rate: the queue grows steadily, every minute after the first is saturated",
    arrivals: () => 1.5,
  },
};

/**
 * Arrival times in ms from the start, as a non-homogeneous Poisson process
 * (thinning), deterministic for a given random source.
 *
 * @param perMs newcomers per real ms at real time t (ms)
 */
export function arrivalTimes(perMs: (t: number) => number, durationMs: number, random: () => number): number[] {
  let peak = 0;
  for (let t = 0; t <= durationMs; t += 50) peak = Math.max(peak, perMs(t));
  if (peak <= 0) return [];
  const times: number[] = [];
  let t = 0;
  for (;;) {
    t += -Math.log(1 - random()) / peak;
    if (t >= durationMs) return times;
    if (random() * peak <= perMs(t)) times.push(t);
  }
}
