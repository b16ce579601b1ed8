/**
 * Errors that cross a boundary (configuration, HTTP responses, logs) carry a
 * stable `code`, so callers switch on codes, never on messages. Expected
 * outcomes (queued, expired, store down) are values, not exceptions: these
 * classes are for misconfiguration and programming errors only.
 */
export type ErrorCode = "config_invalid" | "key_invalid";

export class AnteroomError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = "AnteroomError";
  }
}

/**
 * A setting has a bad value or is missing. The message names the setting.
 *
 * @example
 * ```ts
 * throw new ConfigError(["ADMIT_PER_MINUTE must be a positive number, got \"abc\""]);
 * ```
 */
export class ConfigError extends AnteroomError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super("config_invalid", `Invalid Anteroom configuration:\n  - ${problems.join("\n  - ")}`);
    this.problems = Object.freeze([...problems]);
    this.name = "ConfigError";
  }
}
