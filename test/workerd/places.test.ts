// Issue 17, items 1 and 2: a place is used once. The real worker in workerd
// against the real Redis: copies of an admitted ticket, on one instance and
// on two, the holder's own retry, and a released visitor's saved ticket.
import { describe, expect, it } from "vitest";
import { PASS_COOKIE, TICKET_COOKIE } from "../../worker/http/cookies.ts";
import { subjectOf, testRoom, Visitor } from "./helpers.ts";

type Room = Awaited<ReturnType<typeof testRoom>>;

interface Echo {
  readonly pass: string | null;
}

/**
 * Requests from one client: its own network and browser (TICKET_BINDING stays off: copies are not refused
 * by it). The holder's own browser is known by its network (/24) and User-Agent, as a Turnstile proof is.
 */
const from = (n: number, ua = "Browser/1.0") => ({
  headers: { accept: "application/json", "cf-connecting-ip": `10.${n}.0.1`, "user-agent": ua },
});

/** A client that holds nothing but a copy of `ticket`. */
function copyOf(ticket: string): Visitor {
  const visitor = new Visitor("application/json");
  visitor.cookies.set(TICKET_COOKIE, ticket);
  return visitor;
}

/** What one answer let in: the pass's subject, or null when it queued the client (with its place). */
async function outcomeOf(res: Response): Promise<{ subject: string | null; position: number | null }> {
  if (res.status === 200) return { subject: subjectOf(((await res.json()) as Echo).pass), position: null };
  expect(res.status).toBe(429);
  const body = (await res.json()) as { state: string; position: number };
  expect(body.state).toBe("queued");
  return { subject: null, position: body.position };
}

/**
 * A room at 60 a minute that sends everyone through the holding page (so a
 * copy never goes straight in by the lead: a newcomer always queues), where
 * the holder waited for place 1 and was let in by its ticket: the ticket,
 * saved before it was cleared, and the subject of the holder's pass.
 */
async function admittedHolder(room: Room) {
  const holder = new Visitor("application/json");
  expect(await outcomeOf(await room.request(holder, "/api/echo", from(2)))).toEqual({ subject: null, position: 1 });
  const ticket = holder.cookies.get(TICKET_COOKIE) ?? "";
  expect(ticket).not.toBe("");
  room.advance(1500);
  const admitted = await outcomeOf(await room.request(holder, "/api/echo", from(2)));
  expect(admitted.subject).toBeTruthy();
  expect(holder.cookies.has(TICKET_COOKIE)).toBe(false);
  return { holder, ticket, subject: admitted.subject ?? "" };
}

/** A newcomer at `app`: one store call (JOIN), which carries what the instance has to report. */
async function newcomerAt(room: Room, app: Room["app"], n: number): Promise<void> {
  await new Visitor("application/json").send(app, room.env, "/api/echo", from(n));
}

const QUEUE_ALL = { ADMIT_PER_MINUTE: "60", MODE: "queue-all" };

describe("a place is used once", () => {
  it("50 copies of an admitted ticket, each from another client, give no pass: they are newcomers at the back", async () => {
    const room = await testRoom(QUEUE_ALL);
    const { ticket, subject } = await admittedHolder(room);
    // All at once, so the instance also decides copies that arrive while it is still deciding the others.
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => room.request(copyOf(ticket), "/api/echo", from(100 + i))),
    );
    const outcomes = await Promise.all(answers.map(outcomeOf));
    // One pass for the place in all: the holder's. No copy got the holder's subject.
    expect(outcomes.filter((o) => o.subject === subject)).toHaveLength(0);
    // As newcomers they queue behind the holder, each with a new place of its own.
    const places = outcomes.map((o) => o.position ?? 0);
    expect(Math.min(...places)).toBeGreaterThan(1);
    expect(new Set(places).size).toBe(50);
  });

  it("a copy shown at another instance after that instance's next tick is a newcomer there", async () => {
    const room = await testRoom(QUEUE_ALL);
    const elsewhere = room.instance();
    const { ticket, subject } = await admittedHolder(room);
    const poller = new Visitor("application/json");
    await poller.send(elsewhere, room.env, "/api/echo", from(3)); // a place there: its view, no tick yet
    // The admitting instance reports the place with its next store call (here, a newcomer's join)...
    await newcomerAt(room, room.app, 5);
    // ... and the other instance learns it with its next tick.
    room.advance(1000);
    await poller.send(elsewhere, room.env, "/__anteroom/status", from(3)); // a stale view: the tick, with the places
    const copy = await outcomeOf(await copyOf(ticket).send(elsewhere, room.env, "/api/echo", from(4)));
    expect(copy.subject).not.toBe(subject);
    expect(copy.subject).toBeNull();
    expect(copy.position).toBeGreaterThan(3);
    // The holder's own browser there, within the grace: the same subject, let in again.
    const retry = await outcomeOf(await copyOf(ticket).send(elsewhere, room.env, "/api/echo", from(2)));
    expect(retry.subject).toBe(subject);
  });

  it("an instance that has not ticked for a second asks before letting a copy in, and the store says who was first", async () => {
    const room = await testRoom(QUEUE_ALL);
    const elsewhere = room.instance();
    const { ticket, subject } = await admittedHolder(room);
    await newcomerAt(room, room.app, 5); // the place reaches the store
    // The other instance's view is fresh from a newcomer's join, but it has never ticked: it knows no place used.
    await newcomerAt(room, elsewhere, 3);
    const copy = await outcomeOf(await copyOf(ticket).send(elsewhere, room.env, "/api/echo", from(4)));
    expect(copy.subject).not.toBe(subject);
    expect(copy.subject).toBeNull();
    expect(copy.position).toBeGreaterThan(3);
  });

  it("an instance that has not ticked refuses a copy of a place used elsewhere longer than the grace before", async () => {
    const room = await testRoom(QUEUE_ALL);
    const { ticket, subject } = await admittedHolder(room);
    await newcomerAt(room, room.app, 5); // the place reaches the store
    room.advance(11_000);
    // A new instance: its view is fresh from a newcomer's join, but it has never ticked.
    const fresh = room.instance();
    await newcomerAt(room, fresh, 3);
    const copy = await outcomeOf(await copyOf(ticket).send(fresh, room.env, "/api/echo", from(4)));
    expect(copy.subject).not.toBe(subject);
    expect(copy.subject).toBeNull();
    // Nor, past the grace, the holder's own browser there.
    const own = await outcomeOf(await copyOf(ticket).send(fresh, room.env, "/api/echo", from(2)));
    expect(own.subject).toBeNull();
  });

  it("lets the holder's own browser in again within the grace (a second tab, a lost answer), and not after", async () => {
    const room = await testRoom(QUEUE_ALL);
    const { ticket, subject } = await admittedHolder(room);
    // A second tab of the same browser sent the ticket before the first tab's pass cookie came back.
    room.advance(2000);
    const tab = copyOf(ticket);
    const again = await outcomeOf(await room.request(tab, "/api/echo", from(2)));
    expect(again.subject).toBe(subject);
    expect(tab.cookies.has(PASS_COOKIE)).toBe(true);
    // Another browser on the same network, or the same browser elsewhere, is not the holder.
    expect((await outcomeOf(await room.request(copyOf(ticket), "/api/echo", from(2, "Other/2.0")))).subject).toBeNull();
    expect((await outcomeOf(await room.request(copyOf(ticket), "/api/echo", from(7)))).subject).toBeNull();
    // Past the grace (10 s from the first use), the saved ticket is worth nothing, even to its holder.
    room.advance(9_000);
    expect((await outcomeOf(await room.request(copyOf(ticket), "/api/echo", from(2)))).subject).toBeNull();
  });

  it("never lets a released visitor's saved ticket in again, even from the holder's own browser", async () => {
    const room = await testRoom(QUEUE_ALL);
    const { holder, ticket, subject } = await admittedHolder(room);
    const done = await room.request(holder, "/api/echo?release", from(2));
    expect(done.status).toBe(200);
    expect(holder.cookies.has(PASS_COOKIE)).toBe(false);
    const replay = await outcomeOf(await room.request(copyOf(ticket), "/api/echo", from(2)));
    expect(replay.subject).toBeNull();
    // Another instance, once it has heard of the release, refuses the ticket as well.
    const elsewhere = room.instance();
    await newcomerAt(room, room.app, 5); // the release and the place reach the store
    // The other instance has never ticked: the copy's first use there asks the store first.
    await newcomerAt(room, elsewhere, 3);
    const there = await outcomeOf(await copyOf(ticket).send(elsewhere, room.env, "/api/echo", from(2)));
    expect(there.subject).not.toBe(subject);
    expect(there.subject).toBeNull();
  });
});
