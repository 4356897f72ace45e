/**
 * ast.literal_eval over a token slice, and call-argument splitting, for reading decorator arguments
 * and class attributes without running Python. Anything that is not a plain literal is reported as
 * "not literal", so the caller can ask the user for an explicit flag.
 */
import { PyFloat } from "./python-json.js";
import type { Token } from "./python-tokens.js";

export type PyLiteral = null | boolean | number | PyFloat | string | PyLiteral[] | { [k: string]: PyLiteral };

export type LiteralResult = { ok: true; value: PyLiteral } | { ok: false };

const NOT_LITERAL: LiteralResult = { ok: false };

function numberValue(text: string): number | PyFloat | undefined {
  const t = text.replace(/_/g, "");
  if (/[jJ]$/.test(t)) return undefined; // complex
  if (/^0[xX]/.test(t)) return parseInt(t.slice(2), 16);
  if (/^0[oO]/.test(t)) return parseInt(t.slice(2), 8);
  if (/^0[bB]/.test(t)) return parseInt(t.slice(2), 2);
  if (/[.eE]/.test(t)) return new PyFloat(Number(t));
  return Number(t);
}

/** Evaluate tokens[from, to) as a literal; the whole range must be consumed. */
export function evalLiteral(tokens: readonly Token[], from = 0, to = tokens.length): LiteralResult {
  let i = from;
  const peek = () => (i < to ? tokens[i] : undefined);
  const isOp = (t: Token | undefined, op: string) => t?.type === "op" && t.text === op;

  const parseSeq = (close: string): PyLiteral[] | undefined => {
    const items: PyLiteral[] = [];
    while (!isOp(peek(), close)) {
      const v = parse();
      if (v === undefined) return undefined;
      items.push(v);
      if (isOp(peek(), ",")) i++;
      else if (!isOp(peek(), close)) return undefined;
    }
    i++;
    return items;
  };

  const parse = (): PyLiteral | undefined => {
    const t = peek();
    if (!t) return undefined;
    if (t.type === "string") {
      let s = "";
      while (peek()?.type === "string") {
        const part = (peek() as Token).str;
        if (part === undefined) return undefined; // f-string or bytes
        s += part;
        i++;
      }
      return s;
    }
    if (t.type === "number") {
      i++;
      return numberValue(t.text);
    }
    if (t.type === "name") {
      i++;
      if (t.text === "True") return true;
      if (t.text === "False") return false;
      if (t.text === "None") return null;
      return undefined;
    }
    if (isOp(t, "-") || isOp(t, "+")) {
      i++;
      const v = parse();
      if (typeof v === "number") return t.text === "-" ? -v : v;
      if (v instanceof PyFloat) return new PyFloat(t.text === "-" ? -v.value : v.value);
      return undefined;
    }
    if (isOp(t, "[")) {
      i++;
      return parseSeq("]");
    }
    if (isOp(t, "(")) {
      i++;
      // A parenthesised expression or a tuple; both become a value or a list.
      const start = i;
      const v = parse();
      if (v !== undefined && isOp(peek(), ")")) {
        i++;
        return v;
      }
      i = start;
      return parseSeq(")");
    }
    if (isOp(t, "{")) {
      i++;
      const obj: { [k: string]: PyLiteral } = {};
      while (!isOp(peek(), "}")) {
        const k = parse();
        if (typeof k !== "string" || !isOp(peek(), ":")) return undefined;
        i++;
        const v = parse();
        if (v === undefined) return undefined;
        obj[k] = v;
        if (isOp(peek(), ",")) i++;
        else if (!isOp(peek(), "}")) return undefined;
      }
      i++;
      return obj;
    }
    return undefined;
  };

  const value = parse();
  if (value === undefined || i !== to) return NOT_LITERAL;
  return { ok: true, value };
}

export interface CallArg {
  /** Keyword name, or undefined for a positional argument. */
  name?: string;
  from: number;
  to: number;
}

/**
 * Split the arguments of a call whose `(` is at `open`. Returns the arguments and the index after
 * the closing `)`, or undefined when the brackets do not balance.
 */
export function splitCallArgs(tokens: readonly Token[], open: number): { args: CallArg[]; end: number } | undefined {
  const args: CallArg[] = [];
  let depth = 0;
  let start = open + 1;
  const push = (end: number) => {
    if (end <= start) return;
    const first = tokens[start] as Token;
    const second = tokens[start + 1];
    if (first.type === "name" && second?.type === "op" && second.text === "=") args.push({ name: first.text, from: start + 2, to: end });
    else args.push({ from: start, to: end });
  };
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.type !== "op") continue;
    if ("([{".includes(t.text)) depth++;
    else if (")]}".includes(t.text)) {
      depth--;
      if (depth === 0) {
        push(i);
        return { args, end: i + 1 };
      }
    } else if (t.text === "," && depth === 1) {
      push(i);
      start = i + 1;
    }
  }
  return undefined;
}
