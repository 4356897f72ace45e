/**
 * Text from outside (registry error bodies, file names, index pages) reaches the terminal inside
 * messages. Control characters in it could move the cursor, rewrite earlier lines or retitle the
 * window, and bidi overrides could make a line read differently: show them escaped instead.
 */
// C0 and C1 controls except newline and tab, DEL, and the bidi embedding/override/isolate marks
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function terminalSafe(s: string): string {
  return s.replace(UNSAFE, (c) => {
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, "0")}` : `\\u${n.toString(16).padStart(4, "0")}`;
  });
}
