/**
 * `WWW-Authenticate` parsing (RFC 9110 §11.6.1, §11.2) and token scopes
 * (https://distribution.github.io/distribution/spec/auth/scope/).
 *
 *   challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *   auth-param = token BWS "=" BWS ( token / quoted-string )
 *
 * Commas separate both parameters and challenges, so after each comma we look ahead: `name =` is
 * another parameter, a bare token starts the next challenge. Unquoted values are read leniently up to
 * the next comma or space, because some registries send `realm=https://…/token` without quotes.
 */

export interface Challenge {
  /** Auth scheme, lower-cased: `basic`, `bearer`, … */
  scheme: string;
  /** Parameters with lower-cased names; values unquoted and unescaped. The first of duplicates wins. */
  params: Record<string, string>;
  /** The token68 form (`Negotiate abc==`), when the challenge carries one instead of parameters. */
  token68?: string;
}

const TCHAR_RE = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_RE = /^[A-Za-z0-9\-._~+/]+=*/;

function isSpace(c: string | undefined): boolean {
  return c === " " || c === "\t";
}

class Scanner {
  pos = 0;
  constructor(readonly s: string) {}

  get done(): boolean {
    return this.pos >= this.s.length;
  }
  peek(offset = 0): string | undefined {
    return this.s[this.pos + offset];
  }
  skipSpace(): void {
    while (isSpace(this.peek())) this.pos++;
  }
  /** Skip spaces and empty list elements (`a, , b` is legal). */
  skipSeparators(): void {
    while (isSpace(this.peek()) || this.peek() === ",") this.pos++;
  }
  token(): string {
    const start = this.pos;
    while (!this.done && TCHAR_RE.test(this.s[this.pos]!)) this.pos++;
    return this.s.slice(start, this.pos);
  }
  /** Position after a `token BWS "="` starting here, or -1 when there is none. */
  paramAhead(): number {
    let i = this.pos;
    while (i < this.s.length && TCHAR_RE.test(this.s[i]!)) i++;
    if (i === this.pos) return -1;
    while (isSpace(this.s[i])) i++;
    return this.s[i] === "=" ? i : -1;
  }
  quoted(): string {
    this.pos++; // opening quote
    let out = "";
    while (!this.done) {
      const c = this.s[this.pos++]!;
      if (c === '"') return out;
      if (c === "\\" && !this.done) out += this.s[this.pos++]!;
      else out += c;
    }
    return out; // unterminated: keep what we have rather than fail the whole header
  }
  bareValue(): string {
    const start = this.pos;
    while (!this.done && this.peek() !== "," && !isSpace(this.peek())) this.pos++;
    return this.s.slice(start, this.pos);
  }
}

/** Parse every challenge in a `WWW-Authenticate` header value. Never throws; junk yields fewer challenges. */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const sc = new Scanner(header);
  const challenges: Challenge[] = [];
  for (;;) {
    sc.skipSeparators();
    if (sc.done) break;
    const scheme = sc.token();
    if (scheme === "") {
      sc.pos++; // not a token character: skip it and resynchronise
      continue;
    }
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    if (!isSpace(sc.peek())) continue;
    sc.skipSpace();

    // token68 when it fills the whole list element (`Negotiate abc==`); `realm=x` continues past the "=".
    const t68 = TOKEN68_RE.exec(sc.s.slice(sc.pos));
    if (t68) {
      const after = sc.pos + t68[0].length;
      let j = after;
      while (isSpace(sc.s[j])) j++;
      if (j >= sc.s.length || sc.s[j] === ",") {
        challenge.token68 = t68[0];
        sc.pos = after;
        continue;
      }
    }
    for (;;) {
      const eq = sc.paramAhead();
      if (eq < 0) break; // a new challenge (or junk) starts here
      const name = sc.token().toLowerCase();
      sc.pos = eq + 1;
      sc.skipSpace();
      const value = sc.peek() === '"' ? sc.quoted() : sc.bareValue();
      if (!(name in challenge.params)) challenge.params[name] = value;
      sc.skipSpace();
      if (sc.peek() !== ",") break;
      sc.skipSeparators();
    }
  }
  return challenges;
}

/** The first challenge with `scheme` (case-insensitive), e.g. `findChallenge(cs, "bearer")`. */
export function findChallenge(challenges: readonly Challenge[], scheme: string): Challenge | undefined {
  const want = scheme.toLowerCase();
  return challenges.find((c) => c.scheme === want);
}

/** `repository:<name>:<actions>`, actions de-duplicated in the given order, e.g. `pull,push`. */
export function scopeFor(repository: string, actions: readonly string[]): string {
  return `repository:${repository}:${[...new Set(actions)].join(",")}`;
}

/** Scope for reading a repository. */
export function pullScope(repository: string): string {
  return scopeFor(repository, ["pull"]);
}

/** Scope for pushing: the registry needs `pull` too, to HEAD blobs and finish uploads. */
export function pushScope(repository: string): string {
  return scopeFor(repository, ["pull", "push"]);
}

/** Split a challenge's `scope` parameter, which may hold several scopes separated by spaces. */
export function splitScopes(scope: string | undefined): string[] {
  return (scope ?? "").split(/\s+/).filter((s) => s !== "");
}
