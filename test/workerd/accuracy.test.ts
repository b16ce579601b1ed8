import { describe, expect, it } from "vitest";
import { testRoom, Visitor } from "./helpers.ts";

async function state(room: Awaited<ReturnType<typeof testRoom>>, visitor: Visitor) {
  return (await (await room.request(visitor, "/__anteroom/status")).json()) as { state: string; position: number };
}

describe("OFFER_SECONDS: the grace period after a visitor's turn", () => {
  it("lets a visitor who returns within the grace period straight in, and queues one who returns after it again", async () => {
    const room = await testRoom({ ADMIT_PER_MINUTE: "60", OFFER_SECONDS: "5" });
    const first = new Visitor("application/json");
    await room.request(first, "/"); // straight in: an idle room
    const early = new Visitor("application/json");
    const late = new Visitor("application/json");
    expect(await state(room, early)).toMatchObject({ state: "queued", position: 2 });
    expect(await state(room, late)).toMatchObject({ state: "queued", position: 3 });
    for (let i = 0; i < 40; i++) await room.request(new Visitor("application/json"), "/");

    // Position 2's turn came about 1 s in; 3 s later is within the 5 s grace.
    room.advance(4_000);
    expect(await state(room, early)).toMatchObject({ state: "admitted", position: 2 });
    // Position 3's turn came about 2 s in; 7 s later is past the grace: a new place at the back.
    room.advance(5_000);
    const again = await state(room, late);
    expect(again.state).toBe("queued");
    expect(again.position).toBeGreaterThan(43);
  });
});
