// Number text exactly as Redis 7.0 writes and reads it. Redis formats doubles
// with C's printf "%.17g" (Lua arguments, scores in replies) and Lua 5.1 with
// "%.14g"; it parses with strtod and its own strict string2ll. JavaScript's
// own conversions differ in the corners (exponent thresholds, "inf", ties),
// so both directions are written out here once.

const FLOAT64 = new Float64Array(1);
const BITS = new BigUint64Array(FLOAT64.buffer);

/** True when the sign bit is set (also for NaN and -0, which `< 0` misses). */
function signBit(x: number): boolean {
  FLOAT64[0] = x;
  return (BITS[0] ?? 0n) >> 63n === 1n;
}

/**
 * C's `printf("%.<precision>g", x)` with glibc's output: exact decimal
 * expansion of the double, rounded half-to-even, trailing zeros removed.
 *
 * @example formatG(0.1, 17) === "0.10000000000000001"; formatG(1e15, 14) === "1e+15"
 */
export function formatG(x: number, precision: number): string {
  const p = Math.max(1, precision);
  if (Number.isNaN(x)) return signBit(x) ? "-nan" : "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return signBit(x) ? "-0" : "0";
  const negative = x < 0;
  const abs = Math.abs(x);
  // Fast path: an integer with at most p digits prints as itself.
  if (Number.isInteger(abs) && abs < 10 ** p && abs < 2 ** 53) return (negative ? "-" : "") + String(abs);
  const [digits, exponent] = roundDigits(exactDecimal(abs), p);
  let body: string;
  if (exponent < -4 || exponent >= p) {
    const fraction = digits.slice(1).replace(/0+$/, "");
    const e = Math.abs(exponent);
    body = `${digits[0]}${fraction ? `.${fraction}` : ""}e${exponent < 0 ? "-" : "+"}${e < 10 ? `0${e}` : e}`;
  } else if (exponent >= 0) {
    const whole = digits.slice(0, exponent + 1);
    const fraction = digits.slice(exponent + 1).replace(/0+$/, "");
    body = fraction ? `${whole}.${fraction}` : whole;
  } else {
    body = `0.${"0".repeat(-exponent - 1)}${digits.replace(/0+$/, "")}`;
  }
  return (negative ? "-" : "") + body;
}

/** The exact value of a positive finite double as decimal digits D and power k: value = D * 10^-k. */
function exactDecimal(abs: number): { digits: string; scale: number } {
  FLOAT64[0] = abs;
  const bits = BITS[0] ?? 0n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const power = (biased === 0 ? 1 : biased) - 1075;
  if (power >= 0) return { digits: (mantissa << BigInt(power)).toString(), scale: 0 };
  return { digits: (mantissa * 5n ** BigInt(-power)).toString(), scale: -power };
}

/** Rounds to p significant digits (half to even); returns the p digits and the decimal exponent of the first. */
function roundDigits({ digits, scale }: { digits: string; scale: number }, p: number): [string, number] {
  const trimmed = digits.replace(/^0+/, "");
  let exponent = trimmed.length - 1 - scale;
  if (trimmed.length <= p) return [trimmed.padEnd(p, "0"), exponent];
  let kept = trimmed.slice(0, p);
  const rest = trimmed.slice(p);
  const first = rest.charCodeAt(0) - 48;
  const tail = /[1-9]/.test(rest.slice(1));
  const lastOdd = (kept.charCodeAt(p - 1) - 48) % 2 === 1;
  if (first > 5 || (first === 5 && (tail || lastOdd))) {
    const up = (BigInt(kept) + 1n).toString();
    if (up.length > p) {
      exponent += 1;
      kept = up.slice(0, p);
    } else {
      kept = up;
    }
  }
  return [kept, exponent];
}

const SPACE = /^[ \t\n\v\f\r]*/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
const SPECIAL = /^([+-]?)(infinity|inf|nan(?:\([0-9A-Za-z_]*\))?)/i;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP]([+-]?\d+))?/;

/** C's strtod: the value and how many characters it used (0 = no number), plus ERANGE. */
export function strtod(text: string): { value: number; end: number; range: boolean } {
  const lead = SPACE.exec(text)?.[0].length ?? 0;
  const rest = text.slice(lead);
  const hex = HEX.exec(rest);
  if (hex) return hexValue(hex, lead);
  const special = SPECIAL.exec(rest);
  if (special) {
    const word = (special[2] ?? "").toLowerCase();
    const magnitude = word.startsWith("nan") ? Number.NaN : Number.POSITIVE_INFINITY;
    return { value: special[1] === "-" ? -magnitude : magnitude, end: lead + special[0].length, range: false };
  }
  const decimal = DECIMAL.exec(rest);
  if (!decimal) return { value: 0, end: 0, range: false };
  const value = Number(decimal[0]);
  const nonzero = /[1-9]/.test(decimal[0].split(/[eE]/)[0] ?? "");
  const range = !Number.isFinite(value) || (nonzero && (value === 0 || Math.abs(value) < 2.2250738585072014e-308));
  return { value, end: lead + decimal[0].length, range };
}

function hexValue(match: RegExpExecArray, lead: number): { value: number; end: number; range: boolean } {
  const [whole = "", sign, body = "", exp] = match;
  const [int = "", frac = ""] = body.split(".");
  const mantissa = BigInt(`0x${int}${frac}` === "0x" ? "0x0" : `0x${int}${frac}`);
  const value = Number(mantissa) * 2 ** (Number(exp ?? 0) - 4 * frac.length);
  return { value: sign === "-" ? -value : value, end: lead + whole.length, range: !Number.isFinite(value) };
}

/** Redis's string2d (ZADD scores, HINCRBYFLOAT): all of it a number, no leading space, no NaN, no overflow. */
export function parseStrictDouble(text: string): number | null {
  if (text.length === 0 || /^[ \t\n\v\f\r]/.test(text)) return null;
  const { value, end, range } = strtod(text);
  if (end !== text.length || Number.isNaN(value)) return null;
  if (range && (!Number.isFinite(value) || value === 0)) return null;
  return value;
}

/** One bound of ZRANGEBYSCORE / ZCOUNT / ZREMRANGEBYSCORE: "(x" exclusive, strtod otherwise. */
export function parseScoreBound(text: string): { value: number; exclusive: boolean } | null {
  const exclusive = text.startsWith("(");
  const body = exclusive ? text.slice(1) : text;
  const { value, end } = strtod(body);
  if (end !== body.length || Number.isNaN(value)) return null;
  return { value, exclusive };
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Redis's string2ll: optional "-", no "+", no leading zeros, no spaces, 64-bit range. */
export function parseInteger(text: string): bigint | null {
  if (text.length === 0 || text.length > 20) return null;
  if (text === "0") return 0n;
  if (!/^-?[1-9][0-9]*$/.test(text)) return null;
  const value = BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? null : value;
}

/** Whether a 64-bit signed addition overflowed (INCR, HINCRBY). */
export function outOfInt64(value: bigint): boolean {
  return value < INT64_MIN || value > INT64_MAX;
}
