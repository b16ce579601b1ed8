/**
 * Thrown when the adapter is built with bad options; never for a bad pass
 * (that is an {@link AdmissionResult}). The message names the option.
 *
 * @example
 * ```ts
 * try {
 *   createAdmissionVerifier({ jwksUrl: "ftp://x" });
 * } catch (error) {
 *   if (error instanceof OriginAdapterError && error.code === "option_invalid") console.error(error.message);
 * }
 * ```
 */
export class OriginAdapterError extends Error {
  readonly code = "option_invalid" as const;
  /** The option at fault, e.g. `jwksUrl`. */
  readonly option: string;

  constructor(option: string, message: string) {
    super(`anteroom origin adapter: ${option} ${message}`);
    this.option = option;
    this.name = "OriginAdapterError";
  }
}
