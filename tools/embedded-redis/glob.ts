// KEYS patterns: a port of Redis's stringmatchlen (util.c), byte for byte,
// including its corners (an unclosed "[", ranges written backwards, bytes
// compared as signed chars in ranges), so a pattern matches the same keys.

/** A char as C compares it on x86: signed. */
function signed(code: number): number {
  return code > 127 ? code - 256 : code;
}

/** Whether the byte string `text` matches the glob `pattern` (both one char per byte). */
export function globMatch(pattern: string, text: string): boolean {
  return match(pattern, 0, text, 0, { skipLonger: false });
}

function match(pattern: string, p: number, text: string, s: number, state: { skipLonger: boolean }): boolean {
  while (p < pattern.length && s < text.length) {
    const c = pattern[p];
    if (c === "*") {
      while (pattern[p + 1] === "*") p++;
      if (p === pattern.length - 1) return true;
      for (; s < text.length; s++) {
        if (match(pattern, p + 1, text, s, state)) return true;
        if (state.skipLonger) return false;
      }
      // Nothing after this star matched anywhere: a longer match for an earlier star cannot help.
      state.skipLonger = true;
      return false;
    }
    if (c === "?") {
      s++;
    } else if (c === "[") {
      p++;
      const negate = pattern[p] === "^";
      if (negate) p++;
      let matched = false;
      for (;;) {
        if (pattern[p] === "\\" && pattern.length - p >= 2) {
          p++;
          if (pattern[p] === text[s]) matched = true;
        } else if (pattern[p] === "]") {
          break;
        } else if (p >= pattern.length) {
          p--;
          break;
        } else if (pattern.length - p >= 3 && pattern[p + 1] === "-") {
          let start = signed(pattern.charCodeAt(p));
          let end = signed(pattern.charCodeAt(p + 2));
          if (start > end) [start, end] = [end, start];
          const code = signed(text.charCodeAt(s));
          p += 2;
          if (code >= start && code <= end) matched = true;
        } else if (pattern[p] === text[s]) {
          matched = true;
        }
        p++;
      }
      if (negate) matched = !matched;
      if (!matched) return false;
      s++;
    } else {
      if (c === "\\" && pattern.length - p >= 2) p++;
      if (pattern[p] !== text[s]) return false;
      s++;
    }
    p++;
    if (s === text.length) {
      while (pattern[p] === "*") p++;
      break;
    }
  }
  return p >= pattern.length && s === text.length;
}
