/**
 * How deeply a JSON text nests. Validators, canonical JSON and structuredClone recurse, so a
 * config of 100 000 nested arrays (a few hundred KB) overflowed the stack; real manifests and
 * configs nest fewer than ten levels.
 */
export const MAX_JSON_DEPTH = 64;

/** The deepest nesting of `[` and `{` outside strings (no validation: JSON.parse does that). */
export function jsonDepth(text: string): number {
  let depth = 0, max = 0, inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}
