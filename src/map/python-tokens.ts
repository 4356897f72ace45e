/**
 * Just enough of Python's tokenizer to read an app's module statically (map-format.md §1.6): logical
 * lines (brackets and backslashes join physical lines), indentation, comments dropped, and string
 * literals of every quoting style decoded. No Python is run (bug B14: the SDK imported the app).
 */

export interface Token {
  type: "name" | "number" | "string" | "op";
  /** Source text (for strings: the whole literal including prefix and quotes). */
  text: string;
  /** Strings only: the decoded value; undefined for f-strings and bytes (not constant `str`s). */
  str?: string;
  line: number;
}

export interface LogicalLine {
  /** Indentation width of the first physical line (tabs to multiples of 8, as CPython). */
  indent: number;
  line: number;
  tokens: Token[];
}

const OPS = ["**=", "//=", ">>=", "<<=", "...", "->", ":=", "**", "//", "==", "!=", "<=", ">=", "<<", ">>",
  "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@="];
const NUMBER_RE = /(?:0[xXoObB][0-9a-fA-F_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?[jJ]?)/y;
const NAME_RE = /[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*/y;
const STRING_START_RE = /(?:[rRbBuUfF]{1,2})?(?:'''|"""|'|")/y;

export class PythonSyntaxError extends Error {
  constructor(message: string, readonly line: number) {
    super(`${message} (line ${line})`);
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  "\n": "", "\\": "\\", "'": "'", '"': '"', a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v",
};

/** Decode a non-raw str literal body. Unknown escapes stay as written, as Python does. */
function decodeEscapes(body: string): string {
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== "\\" || i + 1 >= body.length) {
      out += c;
      continue;
    }
    const n = body[i + 1] as string;
    const simple = SIMPLE_ESCAPES[n];
    if (simple !== undefined) {
      out += simple;
      i++;
    } else if (/[0-7]/.test(n)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i + 1)) as RegExpExecArray;
      out += String.fromCodePoint(parseInt(m[0], 8));
      i += m[0].length;
    } else if (n === "x" || n === "u" || n === "U") {
      const len = n === "x" ? 2 : n === "u" ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) throw new Error("bad escape");
      out += String.fromCodePoint(parseInt(hex, 16));
      i += 1 + len;
    } else {
      out += c; // e.g. "\d" keeps the backslash; \N{...} is left undecoded (rare in app metadata)
    }
  }
  return out;
}

/** Indentation width at `i` (tabs to multiples of 8, a form feed resets it, as CPython) and where the code starts. */
function indentation(src: string, i: number): { width: number; end: number } {
  let w = 0;
  for (; i < src.length && (src[i] === " " || src[i] === "\t" || src[i] === "\f"); i++) {
    w = src[i] === "\t" ? (Math.floor(w / 8) + 1) * 8 : src[i] === " " ? w + 1 : 0;
  }
  return { width: w, end: i };
}

/** The string literal starting at `i`, if one does: its token, where it ends and the line it ends on. */
function readString(src: string, i: number, line: number): { token: Token; end: number; line: number } | undefined {
  STRING_START_RE.lastIndex = i;
  const sm = STRING_START_RE.exec(src);
  if (!sm) return undefined;
  const start = i;
  const tokLine = line;
  const prefix = sm[0].replace(/['"]+$/, "").toLowerCase();
  const quote = sm[0].slice(prefix.length);
  i += sm[0].length;
  let body = "";
  for (;;) {
    if (i >= src.length) throw new PythonSyntaxError("unterminated string", tokLine);
    if (src.startsWith(quote, i)) {
      i += quote.length;
      break;
    }
    const ch = src[i] as string;
    if (ch === "\n") {
      if (quote.length === 1) throw new PythonSyntaxError("unterminated string", tokLine);
      line++;
    }
    if (ch === "\\" && i + 1 < src.length) {
      if (src[i + 1] === "\n") line++;
      body += ch + src[i + 1];
      i += 2;
      continue;
    }
    body += ch;
    i++;
  }
  const str = constantString(prefix, body, tokLine);
  return { token: { type: "string", text: src.slice(start, i), ...(str !== undefined ? { str } : {}), line: tokLine }, end: i, line };
}

/** The value of a str literal's body; undefined for bytes and f-strings (not constant `str`s). */
function constantString(prefix: string, body: string, line: number): string | undefined {
  if (prefix.includes("b") || prefix.includes("f")) return undefined;
  if (prefix.includes("r")) return body;
  try {
    return decodeEscapes(body.replace(/\r\n?/g, "\n"));
  } catch {
    throw new PythonSyntaxError("invalid escape in string", line);
  }
}

export function tokenize(src: string): LogicalLine[] {
  const lines: LogicalLine[] = [];
  let tokens: Token[] = [];
  let depth = 0;
  let line = 1;
  let atLineStart = true;
  let indent = 0;
  let startLine = 1;
  let i = 0;
  const endLogical = () => {
    if (tokens.length) lines.push({ indent, line: startLine, tokens });
    tokens = [];
    atLineStart = true;
  };
  while (i < src.length) {
    if (atLineStart) {
      ({ width: indent, end: i } = indentation(src, i));
      startLine = line;
      atLineStart = false;
      continue;
    }
    const c = src[i] as string;
    if (c === "\n" || c === "\r") {
      i += c === "\r" && src[i + 1] === "\n" ? 2 : 1;
      line++;
      if (depth === 0) endLogical();
      continue;
    }
    if (c === " " || c === "\t" || c === "\f") {
      i++;
      continue;
    }
    if (c === "#") {
      while (i < src.length && src[i] !== "\n" && src[i] !== "\r") i++;
      continue;
    }
    if (c === "\\" && (src[i + 1] === "\n" || src[i + 1] === "\r")) {
      i += src[i + 1] === "\r" && src[i + 2] === "\n" ? 3 : 2;
      line++;
      continue;
    }
    const literal = readString(src, i, line);
    if (literal) {
      tokens.push(literal.token);
      ({ end: i, line } = literal);
      continue;
    }
    NUMBER_RE.lastIndex = i;
    const nm = /[0-9.]/.test(c) ? NUMBER_RE.exec(src) : null;
    if (nm && nm[0] !== ".") {
      tokens.push({ type: "number", text: nm[0], line });
      i += nm[0].length;
      continue;
    }
    NAME_RE.lastIndex = i;
    const am = NAME_RE.exec(src);
    if (am) {
      tokens.push({ type: "name", text: am[0], line });
      i += am[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i)) ?? c;
    if ("([{".includes(op)) depth++;
    if (")]}".includes(op)) depth = Math.max(0, depth - 1);
    tokens.push({ type: "op", text: op, line });
    i += op.length;
  }
  endLogical();
  return lines;
}
