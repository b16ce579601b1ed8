import {
  ADVANCE_LUA,
  SAVE_LUA,
  SETTINGS_REPLY_LUA,
  type SettingsTail,
  STATE_REPLY_LUA,
  type StateTail,
} from "./advance.ts";

/**
 * TICK: reads a room's frontier and live settings, advancing the frontier
 * first. Worker instances call it to refresh their cached view (about once a
 * second each), so the frontier moves with the traffic itself, with no cron
 * and no external driver, and operators' changes reach every instance.
 *
 * KEYS[1..7], ARGV[1..5]: as every admission script (see advance.ts).
 *
 * Returns { frontier, last_ticket, now, show, rate, mode, session, version }:
 *   frontier     the advanced frontier, as a string (keeps its fraction)
 *   last_ticket  last position handed out
 *   now          the time used, ms
 *   show         the show ratio (no-show compensation), as a string
 *   rate, mode, session, version   the live settings (session '' = default)
 */
export const TICK_LUA = `
${ADVANCE_LUA}
${SAVE_LUA}
return { ${STATE_REPLY_LUA}, ${SETTINGS_REPLY_LUA} }
`;

/** Raw reply of {@link TICK_LUA}. */
export type TickReply = [...state: StateTail, ...settings: SettingsTail];
