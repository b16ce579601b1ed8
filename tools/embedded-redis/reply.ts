// Replies and errors in the shapes Redis gives them (RESP2), and the one
// place where text crosses between JavaScript strings (UTF-16, what callers
// pass and get back) and Redis strings (bytes). Inside the engine a string is
// a "byte string": one char per byte, codes 0-255, so lengths, Lua's `#` and
// member order are those of the bytes, as in Redis.

/**
 * A RESP2 reply: integer, bulk string, nil, array, or status ("OK", "PONG",
 * TYPE's answer). `{ error }` occurs only inside arrays (a script may return
 * error replies within a table); an error reply on its own is thrown as
 * {@link EmbeddedReplyError}.
 */
export type Reply = number | string | null | Reply[] | { status: string } | { error: string };

/** A Redis error reply; `message` is exactly Redis's, e.g. "WRONGTYPE Operation against a key holding...". */
export class EmbeddedReplyError extends Error {
  override name = "EmbeddedReplyError";
}

/** The usual error replies, worded as Redis 7.0 words them. */
export const ERRORS = {
  wrongType: "WRONGTYPE Operation against a key holding the wrong kind of value",
  notInteger: "ERR value is not an integer or out of range",
  notFloat: "ERR value is not a valid float",
  rangeNotFloat: "ERR min or max is not a float",
  syntax: "ERR syntax error",
  overflow: "ERR increment or decrement would overflow",
  hashNotInteger: "ERR hash value is not an integer",
  arity: (command: string) => `ERR wrong number of arguments for '${command.toLowerCase()}' command`,
} as const;

const NON_ASCII = /[\u0080-\uffff]/;

/** UTF-16 text to a byte string (UTF-8 bytes, one char each). */
export function toBytes(text: string): string {
  // Pure ASCII is already its own byte string; most keys and arguments are.
  return NON_ASCII.test(text) ? Buffer.from(text, "utf8").toString("latin1") : text;
}

/** A byte string back to text, decoding its bytes as UTF-8 (as ioredis and Upstash do). */
export function fromBytes(bytes: string): string {
  return NON_ASCII.test(bytes) ? Buffer.from(bytes, "latin1").toString("utf8") : bytes;
}

/** A reply with its byte strings decoded for a JavaScript caller. */
export function decodeReply(reply: Reply): Reply {
  if (typeof reply === "string") return fromBytes(reply);
  if (Array.isArray(reply)) return reply.map(decodeReply);
  if (reply !== null && typeof reply === "object") {
    return "status" in reply ? { status: fromBytes(reply.status) } : { error: fromBytes(reply.error) };
  }
  return reply;
}
