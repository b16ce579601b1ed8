import { offerLapsed, rateOf, type Settings, standing } from "../model/admission.ts";
import type { AdmissionStore, RoomSpec } from "../store/store.ts";
import {
  needsRenewal,
  newSession,
  type PassClaims,
  type PassOptions,
  passLifetimeSeconds,
  sessionOf,
  signPass,
} from "../tokens/pass.ts";
import { PROBE_SECONDS, type ProbeOptions, readProbe, signProbe } from "../tokens/probe.ts";
import type { Stamp, StampKind } from "../tokens/stamp.ts";
import { type PrequeueTicket, readTicket, signTicket, type Ticket, type TicketOptions } from "../tokens/ticket.ts";
import { readProof, type TurnstileOptions } from "../tokens/turnstile.ts";
import { ANONYMOUS, type Requester } from "./client.ts";
import type { StoreFallback } from "./fallback.ts";
import type { Memo } from "./memo.ts";
import type { PassMemo } from "./pass-memo.ts";
import type { RoomLink } from "./room-link.ts";

/** The tokens a request carries, as raw strings (unverified); the HTTP layer reads them from cookies. */
export interface Credentials {
  readonly pass: string | undefined;
  readonly ticket: string | undefined;
  /** The Turnstile proof, when the room asks for one. */
  readonly human?: string | undefined;
  /** The cookie check's token, when the room asks for one. */
  readonly probe?: string | undefined;
}

/** Everything the gate needs, injected: time and I/O included. */
export interface GateDeps {
  readonly room: RoomSpec;
  readonly store: AdmissionStore;
  /** The instance's link to the room: the view of the frontier, the outbox, the denylist; it makes the script calls. */
  readonly link: RoomLink;
  /** The passes this instance has already verified. */
  readonly passes: PassMemo;
  /** What this instance does with newcomers while the store is down (STORE_FAILURE_MODE). */
  readonly fallback: StoreFallback;
  readonly pass: PassOptions;
  readonly ticket: TicketOptions;
  readonly now: () => number;
  /** How long an offered place waits for its holder (OFFER_SECONDS). */
  readonly offerSeconds: number;
  /** Turnstile before a ticket is issued; null when off. */
  readonly turnstile: TurnstileOptions | null;
  /** The cookie check before a place is given (COOKIE_CHECK). */
  readonly probe: ProbeOptions;
  /**
   * Pre-queue entries this instance has exchanged for places, "<event>:<visitor>": a pre-queue
   * ticket sent again costs no store call here (each instance of a fleet pays for its first).
   */
  readonly placements: Memo<Placement>;
  /** Stamp ids this instance knows are spent (it spent them, or the store said so): a copy costs no store call. */
  readonly spentStamps: Memo<true>;
}

/**
 * A pre-queue entry's place: the position, the last ticket before the pre-queue's places, and the
 * epoch the store placed it in (the ticket sent again after a restore must stand where that epoch's
 * tickets stand, not at its number in the new epoch: model/epoch.ts).
 */
export interface Placement {
  readonly position: number;
  readonly base: number;
  readonly epoch: number;
}

/** Where a waiting visitor stands, as shown on the holding page and in JSON. */
export interface QueuedView {
  readonly position: number;
  readonly ahead: number;
  /** The estimated wait; null while paused: a paused room promises none. */
  readonly etaSeconds: number | null;
  readonly refreshSeconds: number;
  readonly progress: number;
  /** The store is not answering: the figures are the last known ones. */
  readonly delayed: boolean;
  /** An operator paused admission; places are kept. */
  readonly paused: boolean;
}

/** A pre-queued visitor's figures: the countdown to the event's start. */
export interface CountdownView {
  /** The start, ms since the epoch. */
  readonly startsAt: number;
  readonly secondsToStart: number;
  readonly refreshSeconds: number;
  /** The start has come but the store is not answering: the place is kept, the page asks again. */
  readonly delayed: boolean;
}

/** The gate's verdict on one request; the HTTP layer only translates it. */
export type Verdict =
  /** A valid pass: straight through, no store call. `renewed` is a fresh pass when half the old one's life is gone. */
  | {
      readonly kind: "pass";
      readonly subject: string;
      readonly claims: PassClaims;
      readonly token: string;
      readonly renewed: string | null;
      readonly sessionSeconds: number;
    }
  /** Admitted now, by a newcomer's join or a ticket whose turn came. */
  | {
      readonly kind: "admitted";
      /** The new pass's subject (the visitor id), for an early release on this very response. */
      readonly subject: string;
      readonly token: string;
      readonly position: number;
      readonly via: "join" | "ticket";
      readonly sessionSeconds: number;
    }
  /** Must wait. `newTicket` is set when the visitor just joined and needs the cookie. */
  | { readonly kind: "queued"; readonly view: QueuedView; readonly newTicket: string | null }
  /** In an event's pre-queue: a countdown. `newTicket` (valid for `ticketSeconds`) when the visitor just joined. */
  | {
      readonly kind: "prequeued";
      readonly view: CountdownView;
      readonly newTicket: string | null;
      readonly ticketSeconds: number;
    }
  /** A newcomer must first show it keeps cookies: this token comes back as a cookie, then a place is given. */
  | { readonly kind: "cookie_check"; readonly token: string; readonly seconds: number }
  /** A newcomer must solve the Turnstile challenge before taking a ticket. */
  | { readonly kind: "challenge" }
  /** This client took its share of new tickets this minute (NEW_TICKETS_PER_IP_PER_MINUTE). */
  | { readonly kind: "limited"; readonly retryAfterSeconds: number }
  /** The room is closed to newcomers (sold out). */
  | { readonly kind: "closed" }
  /** Over the rate in a room whose QUEUEING is `reject`: no place; come back in `retryAfterSeconds`. */
  | { readonly kind: "rejected"; readonly retryAfterSeconds: number }
  /** A newcomer while the store is down: no position can be handed out; ask again shortly. */
  | { readonly kind: "unavailable"; readonly retryAfterSeconds: number };

const RETRY_WHEN_UNAVAILABLE_SECONDS = 5;
/**
 * How long a rejected newcomer is asked to stay away. Not the time to the
 * next free slot (a fraction of a second at most rates): everyone turned
 * away would come back at once and be turned away again. A minute lets the
 * rate's next minute of slots go to whoever arrives then.
 */
const RETRY_WHEN_REJECTED_SECONDS = 60;

/**
 * Decides what to do with a visitor, cheapest check first:
 * a valid pass costs one signature check; a valid ticket costs one HMAC and the
 * instance's cached frontier; only a newcomer costs a store call (one script).
 * A forged, expired or other-room token is ignored, so its holder is new: no
 * client input can move a position forward.
 *
 * @example
 * ```ts
 * const verdict = await evaluate(readCredentials(c), deps);
 * ```
 */
export async function evaluate(
  credentials: Credentials,
  deps: GateDeps,
  identify: () => Promise<Requester> = async () => ANONYMOUS,
): Promise<Verdict> {
  const now = deps.now();
  // Asked at most once per request, and by pass holders only when passes are bound.
  let asked: Promise<Requester> | undefined;
  const who = () => {
    asked ??= identify();
    return asked;
  };
  if (credentials.pass) {
    // A pass seen before skips its signature check; its expiry (never past the session's absolute
    // end, SESSION_MAX_MINUTES), release and binding are checked every time.
    const read = await deps.passes.read(credentials.pass, now);
    // A pass whose session the origin ended (early release), or one copied to another client
    // (PASS_BINDING), is no pass: its holder is a newcomer.
    if (
      read.ok &&
      !deps.link.isReleased(read.claims.sub, read.claims.iat) &&
      (await heldHere(read.claims, deps, who))
    ) {
      // Admitted traffic costs zero store commands of its own: a renewal uses the settings this
      // instance last saw, and the visit is counted (MAX_ACTIVE) with the instance's next store call.
      deps.link.recordVisit(read.claims.sub);
      const pass = passOptions(deps, deps.link.lastSettings());
      const session = sessionOf(read.claims);
      const renewed = needsRenewal(read.claims, now, pass) ? await signPass(read.claims.sub, pass, now, session) : null;
      return {
        kind: "pass",
        subject: read.claims.sub,
        claims: read.claims,
        token: credentials.pass,
        renewed,
        sessionSeconds: passLifetimeSeconds(pass, session, now),
      };
    }
  }
  // Who is asking matters only from here on: pass holders pay for it only when passes are bound.
  const requester = await who();
  // A newcomer, and a ticket holder who must start again (a lapsed turn, a lost entry), take one path.
  const anew = () => newcomer(credentials, deps, requester);
  if (credentials.ticket) {
    const read = await readTicket(credentials.ticket, deps.ticket, now);
    // A ticket bound to another client (TICKET_BINDING) was copied: its holder is new here.
    if (read.ok && read.ticket.clientHint === requester.hint) {
      return read.ticket.kind === "place"
        ? waiting(read.ticket, null, deps, requester, anew)
        : prequeued(read.ticket, deps, requester, anew);
    }
  }
  return anew();
}

/** A stamp the visitor brings to buy a place, with what earns it again (cookie check or challenge). */
type HeldStamp = Stamp & { readonly kind: StampKind };

/**
 * A newcomer (or a ticket holder starting again): the cookie check and
 * Turnstile (when on) stand before the one store call, and each of their
 * stamps buys one place. A stamp this instance knows is spent costs no store
 * call; one the store finds spent (a copy) buys nothing either. Either way
 * the visitor is sent back to earn a new one. The per-client limit counts in
 * the same store call.
 */
async function newcomer(credentials: Credentials, deps: GateDeps, requester: Requester): Promise<Verdict> {
  const now = deps.now();
  const stamps: HeldStamp[] = [];
  if (needsProbe(deps)) {
    const probe = await readProbe(credentials.probe, deps.probe, now);
    if (!probe.ok || deps.spentStamps.recall(probe.id, now)) return cookieCheck(deps, now);
    stamps.push({ kind: "probe", id: probe.id, expiresAt: probe.expiresAt });
  }
  if (deps.turnstile) {
    // A proof counts only from the client that solved the challenge.
    const proof = await readProof(credentials.human, deps.turnstile, now, requester.proofHint);
    if (!proof.ok || deps.spentStamps.recall(proof.id, now)) return { kind: "challenge" };
    stamps.push({ kind: "human", id: proof.id, expiresAt: proof.expiresAt });
  }
  return arrive(deps, requester, stamps);
}

/** The cookie check: a new probe, which the client must send back. */
async function cookieCheck(deps: GateDeps, now: number): Promise<Verdict> {
  return { kind: "cookie_check", token: await signProbe(deps.probe, now), seconds: PROBE_SECONDS };
}

/** Notes stamps as spent on this instance (the store has them already, or never will: the store was down). */
function spend(stamps: readonly HeldStamp[], deps: GateDeps): void {
  for (const stamp of stamps) deps.spentStamps.remember(stamp.id, true, stamp.expiresAt);
}

/** Whether a pass is presented by the client it was issued to: always, unless passes are bound (PASS_BINDING). */
async function heldHere(claims: PassClaims, deps: GateDeps, who: () => Promise<Requester>): Promise<boolean> {
  if (!deps.pass.bound) return true;
  return (claims.cb ?? null) === (await who()).passHint;
}

/**
 * Whether newcomers must pass the cookie check now: always, or in `busy`
 * while this instance knows of (or cannot rule out) a queue, which is when a
 * place that nobody will claim costs real visitors something.
 */
function needsProbe(deps: GateDeps): boolean {
  if (deps.probe.mode === "always") return true;
  return deps.probe.mode === "busy" && deps.link.mayBeBusy();
}

/** Pass options with the live session length, when an operator set one. */
function passOptions(deps: GateDeps, settings: Settings | null): PassOptions {
  return settings?.sessionMinutes
    ? { ...deps.pass, sessionSeconds: Math.round(settings.sessionMinutes * 60) }
    : deps.pass;
}

async function admit(
  visitorId: string,
  position: number,
  via: "join" | "ticket",
  deps: GateDeps,
  settings: Settings,
  requester: Requester,
) {
  const pass = passOptions(deps, settings);
  const now = deps.now();
  // A new session starts here: its absolute end counts from now, and it is bound to this client when passes are.
  const session = newSession(now, deps.pass.bound ? requester.passHint : null);
  const token = await signPass(visitorId, pass, now, session);
  const sessionSeconds = passLifetimeSeconds(pass, session, now);
  return { kind: "admitted", subject: visitorId, token, position, via, sessionSeconds } as const;
}

/** A ticket holder: admitted if the frontier has reached them (or the room stepped aside), else their standing. */
async function waiting(
  ticket: Ticket,
  newTicket: string | null,
  deps: GateDeps,
  requester: Requester,
  anew: () => Promise<Verdict>,
): Promise<Verdict> {
  // Before the store call the read may make: a store that lost the room's state restores it from what
  // the instance knows, and a new instance knows of the line what its visitors' tickets say.
  deps.link.learnTicket(ticket.position, ticket.epoch ?? 0, ticket.joinedFrontier);
  // Far from the frontier, the figures may come from a view a few seconds old: no store call (RoomLink.read).
  // Far by where the ticket stands, not its number: one from before a restore stands at most at the base.
  const reading = await deps.link.read(deps.link.placeOf(ticket.position, ticket.epoch ?? 0));
  if (reading.kind === "unavailable") {
    // Nothing known about the frontier: keep the place, show the delay, ask again soon.
    const view = {
      position: ticket.position,
      ahead: Math.max(0, ticket.position - 1 - Math.floor(ticket.joinedFrontier)),
      etaSeconds: 0,
      refreshSeconds: RETRY_WHEN_UNAVAILABLE_SECONDS,
      progress: 0,
      delayed: true,
      paused: false,
    };
    return { kind: "queued", view, newTicket };
  }
  const { settings } = reading;
  if (settings.mode === "passthrough")
    return admit(ticket.visitorId, ticket.position, "ticket", deps, settings, requester);
  // Where the ticket stands now: a ticket from before a loss of the store's state, issued past what
  // was restored, stands at the restored base, ahead of every newcomer since (model/epoch.ts).
  const place = deps.link.placeOf(ticket.position, ticket.epoch ?? 0);
  if (place <= reading.frontier) {
    const rate = rateOf(settings.perMinute);
    // A turn missed by more than the grace period: the place went to someone else; queue again.
    // Never while nobody waits: then letting the late visitor in costs no one anything, and the
    // estimate (current rate and show ratio) is least reliable right after the ratio starts over.
    // The late holder is a newcomer in every respect: cookie check, Turnstile, per-client limit.
    const lapsed = offerLapsed(place, reading.frontier, rate, reading.showRatio, deps.offerSeconds);
    if (lapsed && reading.waiting) {
      return anew();
    }
    // A place is used once (gate/consumed.ts): the first admission by its ticket uses it, and a copy
    // shown after that (here at once, elsewhere after a tick) is a newcomer; the same client within a
    // few seconds (a second tab, a retry) is let in again, as the same subject. An instance that has
    // not ticked for a second makes the tick this admission would cause anyway before answering: it
    // reports the place at once and tells whether another instance's client used it first. A ticket
    // standing at the base instead of its position (issued before a loss) has no place of its own
    // the store could tell apart from a newcomer's: it is not checked (README, "When Redis loses its data").
    if (place !== ticket.position) return admit(ticket.visitorId, place, "ticket", deps, settings, requester);
    let use = deps.link.consumePlace(ticket.position, ticket.visitorId, ticket.issuedAt, requester.proofHint);
    if (use === "first" && !reading.degraded) {
      await deps.link.catchUp();
      if (!deps.link.placeStillHeld(ticket.position, ticket.visitorId, ticket.issuedAt, requester.proofHint))
        use = "spent";
    }
    if (use === "spent") return anew();
    return admit(ticket.visitorId, ticket.position, "ticket", deps, settings, requester);
  }
  const standing = place === ticket.position ? ticket : { ...ticket, position: place };
  const view = queuedView(standing, reading.frontier, settings, reading.degraded, reading.showRatio, reading.capPace);
  return { kind: "queued", view, newTicket };
}

/** A waiting visitor's figures. A ticket just issued in queue-all may already be within the frontier: it waits one poll. */
function queuedView(
  ticket: Ticket,
  frontier: number,
  settings: Settings,
  degraded: boolean,
  showRatio: number,
  capPace: number | null = null,
): QueuedView {
  const flags = { delayed: degraded, paused: settings.mode === "paused" };
  const rate = rateOf(settings.perMinute);
  const where = standing(ticket.position, ticket.joinedFrontier, frontier, rate, showRatio, capPace);
  if (where.kind === "admitted") {
    return { position: ticket.position, ahead: 0, etaSeconds: 0, refreshSeconds: 2, progress: 1, ...flags };
  }
  const { kind: _queued, ...view } = where;
  return { ...view, ...flags, etaSeconds: flags.paused ? null : view.etaSeconds };
}

/**
 * A pre-queued visitor: a countdown until the start, which needs no store
 * call; after it, one call exchanges the lottery entry for a place, and the
 * visitor continues as any ticket holder with a new ticket. The exchange is
 * remembered, so the old ticket sent again (a client that kept it) is given
 * the placed ticket again without a store call.
 */
async function prequeued(
  ticket: PrequeueTicket,
  deps: GateDeps,
  requester: Requester,
  anew: () => Promise<Verdict>,
): Promise<Verdict> {
  const now = deps.now();
  if (now < ticket.startsAt) return countdown(ticket, now, false, null, deps);
  const entry = `${ticket.event}:${ticket.visitorId}`;
  let placement = deps.placements.recall(entry, now);
  if (!placement) {
    const outcome = await deps.link.claim(ticket.event, ticket.visitorId);
    if (outcome.kind === "unavailable") return countdown(ticket, now, true, null, deps);
    // This instance's clock runs ahead of the store's: ask again in a moment.
    if (outcome.kind === "not_started") return countdown({ ...ticket, startsAt: now + 1000 }, now, false, null, deps);
    if (outcome.kind === "unknown") return anew();
    placement = { position: outcome.position, base: outcome.base, epoch: outcome.state.epoch ?? 0 };
    // Past the ticket's life nobody can send it again.
    deps.placements.remember(entry, placement, ticket.startsAt + deps.ticket.ttlSeconds * 1000);
  }
  const place = placeTicket(placement, ticket.visitorId, deps, requester);
  const verdict = await waiting(place, null, deps, requester, anew);
  // A lapsed place re-queued the visitor with a new ticket already: keep that one.
  if (verdict.kind !== "queued" || verdict.newTicket !== null) return verdict;
  return { ...verdict, newTicket: await signTicket(place, deps.ticket) };
}

function countdown(
  ticket: PrequeueTicket,
  now: number,
  delayed: boolean,
  newTicket: string | null,
  deps: GateDeps,
): Verdict {
  const secondsToStart = Math.max(0, Math.ceil((ticket.startsAt - now) / 1000));
  // Far from the start a rare refresh is enough; the page's own countdown reloads it at the start.
  const refreshSeconds = delayed ? RETRY_WHEN_UNAVAILABLE_SECONDS : Math.min(60, Math.max(1, secondsToStart));
  const ticketSeconds =
    Math.max(0, Math.ceil(ticket.startsAt / 1000) - Math.floor(now / 1000)) + deps.ticket.ttlSeconds;
  return {
    kind: "prequeued",
    view: { startsAt: ticket.startsAt, secondsToStart, refreshSeconds, delayed },
    newTicket,
    ticketSeconds,
  };
}

/**
 * A ticket for a place the store handed out: `base` is the frontier it was handed out at, `epoch`
 * the epoch of the reply that handed it out (not the link's epoch when signing: a place remembered,
 * or a reply overtaken in flight, may be older than the epoch the link knows; see model/epoch.ts).
 */
function placeTicket(
  { position, base: joinedFrontier, epoch }: Placement,
  visitorId: string,
  deps: GateDeps,
  requester: Requester,
): Ticket {
  const issuedAt = Math.floor(deps.now() / 1000);
  const { hint: clientHint } = requester;
  return { kind: "place", room: deps.room.room, position, joinedFrontier, visitorId, issuedAt, clientHint, epoch };
}

/**
 * A newcomer: one atomic store call decides between straight in, a place in
 * line, a pre-queue entry, and closed, and spends the stamps with what they buy.
 */
async function arrive(deps: GateDeps, requester: Requester, stamps: readonly HeldStamp[]): Promise<Verdict> {
  const visitorId = crypto.randomUUID();
  const draw = crypto.getRandomValues(new Uint32Array(2));
  // 53 random bits, uniform in [0, 1): the lottery number, drawn here because Lua's math.random is not to be trusted.
  const lottery = ((draw[0] ?? 0) * 2 ** 21 + ((draw[1] ?? 0) >>> 11)) / 2 ** 53;
  const spent = stamps.map(({ id, expiresAt }) => ({ id, expiresAt }));
  const outcome = await deps.link.join({ visitorId, draw: lottery, client: requester.client, stamps: spent });
  // Whatever gave a place (or a pre-queue entry, or an admission) spent the stamps.
  if (outcome.kind === "admitted" || outcome.kind === "queued" || outcome.kind === "prequeued") spend(stamps, deps);
  switch (outcome.kind) {
    case "prequeued": {
      const ticket: PrequeueTicket = {
        kind: "prequeue",
        room: deps.room.room,
        event: outcome.event,
        startsAt: outcome.startsAt,
        visitorId,
        issuedAt: Math.floor(deps.now() / 1000),
        clientHint: requester.hint,
      };
      return countdown(ticket, deps.now(), false, await signTicket(ticket, deps.ticket), deps);
    }
    case "unavailable": {
      // No place can be handed out; the instance's fallback decides alone, so the origin neither loses
      // every newcomer nor takes the whole surge. An admission here carries no position (0).
      const fallback = deps.fallback.newcomer(deps.link.lastSettings(), deps.now(), deps.link.fleetSize());
      if (fallback.kind === "admit") {
        // The store cannot record the stamps: this instance does, so a copy is not let in here again.
        spend(stamps, deps);
        deps.link.recordVisit(visitorId, true);
        return admit(visitorId, 0, "join", deps, fallback.settings, requester);
      }
      if (fallback.kind === "closed") return { kind: "closed" };
      return { kind: "unavailable", retryAfterSeconds: RETRY_WHEN_UNAVAILABLE_SECONDS };
    }
    case "limited":
      return { kind: "limited", retryAfterSeconds: outcome.retryAfterSeconds };
    case "stamp_used": {
      // A copy of a stamp that bought a place already: earn a new one.
      const used = stamps.find((stamp) => stamp.id === outcome.id);
      if (used) spend([used], deps);
      return used?.kind === "human" ? { kind: "challenge" } : cookieCheck(deps, deps.now());
    }
    case "closed":
      return { kind: "closed" };
    case "rejected":
      return { kind: "rejected", retryAfterSeconds: RETRY_WHEN_REJECTED_SECONDS };
    case "admitted":
      return admit(visitorId, outcome.position, "join", deps, outcome.settings, requester);
    case "queued": {
      const placed = { position: outcome.position, base: outcome.state.frontier, epoch: outcome.state.epoch ?? 0 };
      const ticket = placeTicket(placed, visitorId, deps, requester);
      const view = queuedView(ticket, outcome.state.frontier, outcome.settings, false, outcome.state.showRatio ?? 1);
      return { kind: "queued", view, newTicket: await signTicket(ticket, deps.ticket) };
    }
  }
}
