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
  const p = new LiteralParser(tokens, from, to);
  const value = p.parse();
  if (value === undefined || p.i !== to) return NOT_LITERAL;
  return { ok: true, value };
}

/** A recursive-descent reader of one literal; every method returns undefined for "not a literal". */
class LiteralParser {
  constructor(
    private readonly tokens: readonly Token[],
    public i: number,
    private readonly to: number,
  ) {}

  private peek(): Token | undefined {
    return this.i < this.to ? this.tokens[this.i] : undefined;
  }

  private atOp(op: string): boolean {
    const t = this.peek();
    return t?.type === "op" && t.text === op;
  }

  parse(): PyLiteral | undefined {
    const t = this.peek();
    if (!t) return undefined;
    if (t.type === "string") return this.strings();
    this.i++;
    if (t.type === "number") return numberValue(t.text);
    if (t.type === "name") return t.text === "True" ? true : t.text === "False" ? false : t.text === "None" ? null : undefined;
    switch (t.text) {
      case "-":
      case "+":
        return this.signed(t.text);
      case "[":
        return this.sequence("]");
      case "(":
        return this.parenthesised();
      case "{":
        return this.dict();
      default:
        return undefined;
    }
  }

  /** Adjacent string literals concatenate, as in Python. */
  private strings(): string | undefined {
    let s = "";
    for (let t = this.peek(); t?.type === "string"; t = this.peek()) {
      if (t.str === undefined) return undefined; // f-string or bytes
      s += t.str;
      this.i++;
    }
    return s;
  }

  private signed(sign: string): PyLiteral | undefined {
    const v = this.parse();
    if (typeof v === "number") return sign === "-" ? -v : v;
    if (v instanceof PyFloat) return new PyFloat(sign === "-" ? -v.value : v.value);
    return undefined;
  }

  /** A parenthesised expression or a tuple; both become a value or a list. */
  private parenthesised(): PyLiteral | undefined {
    const start = this.i;
    const v = this.parse();
    if (v !== undefined && this.atOp(")")) {
      this.i++;
      return v;
    }
    this.i = start;
    return this.sequence(")");
  }

  private sequence(close: string): PyLiteral[] | undefined {
    const items: PyLiteral[] = [];
    while (!this.atOp(close)) {
      const v = this.parse();
      if (v === undefined) return undefined;
      items.push(v);
      if (!this.separator(close)) return undefined;
    }
    this.i++;
    return items;
  }

  private dict(): { [k: string]: PyLiteral } | undefined {
    const obj: { [k: string]: PyLiteral } = {};
    while (!this.atOp("}")) {
      const k = this.parse();
      if (typeof k !== "string" || !this.atOp(":")) return undefined;
      this.i++;
      const v = this.parse();
      if (v === undefined) return undefined;
      obj[k] = v;
      if (!this.separator("}")) return undefined;
    }
    this.i++;
    return obj;
  }

  /** After an item: a comma (consumed) or the closing bracket (left for the caller). */
  private separator(close: string): boolean {
    if (this.atOp(",")) {
      this.i++;
      return true;
    }
    return this.atOp(close);
  }
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
