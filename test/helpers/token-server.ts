/**
 * A small bearer-token server for distribution registry 2.8 (`auth: token:`), for tests only.
 * Uses node:http and node:crypto alone. It signs RS256 JWTs whose `kid` is the libtrust key id of
 * the signing key, and writes a self-signed certificate of that key (the registry's
 * `rootcertbundle`) to a temp dir. What registry 2.8 accepts is listed in
 * ../shared/docs/test-environment.md §2c; every rule there is followed here:
 * `aud` is a string, `kid` is libtrust's, scopes are `type:name:actions` split at the first and the
 * last colon (names may hold `:` only in theory, but ports in registry names make it matter elsewhere).
 */
import { createHash, generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TokenUser {
  password: string;
  /** Actions this user may get (e.g. ["pull"]); default: every action it asks for. */
  actions?: string[];
}

export interface TokenServerOptions {
  users: Record<string, TokenUser>;
  /**
   * Token lifetime in seconds (`expires_in` and the `exp` claim), default 300. Negative values make
   * tokens that are already expired (the registry has ~60 s leeway, so use ≤ -120 to get a 401);
   * the reply's `expires_in` is then clamped to 0.
   */
  expiresIn?: number;
  /** Actions an anonymous caller gets (default ["pull"]); [] refuses anonymous tokens (401). */
  anonymousActions?: string[];
  service?: string;
  issuer?: string;
}

export interface TokenRequest {
  /** `anonymous` when no Authorization header was sent. */
  user: string;
  scopes: string[];
  status: number;
}

export interface TokenServer {
  /** http://127.0.0.1:PORT/token */
  realm: string;
  service: string;
  issuer: string;
  /** Path of the PEM certificate bundle the registry verifies tokens with. */
  certBundle: string;
  /** Number of token requests answered so far (any status). */
  readonly requests: number;
  /** Every request, in order: who asked, for which scopes, with what answer. */
  readonly log: readonly TokenRequest[];
  /** Change the lifetime of tokens issued from now on. */
  expiresIn: number;
  stop(): Promise<void>;
}

interface Access {
  type: string;
  name: string;
  actions: string[];
}

export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  const service = opts.service ?? "test-registry";
  const issuer = opts.issuer ?? "test-issuer";
  const anonymous = opts.anonymousActions ?? ["pull"];
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const spki = publicKey.export({ type: "spki", format: "der" });
  const kid = libtrustKeyId(spki);
  const dir = await mkdtemp(join(tmpdir(), "mb-tok-"));
  const certBundle = join(dir, "bundle.pem");
  await writeFile(certBundle, toPem("CERTIFICATE", selfSignedCert(spki, privateKey, "test-token-issuer")));

  const log: TokenRequest[] = [];
  const state = { expiresIn: opts.expiresIn ?? 300 };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== "/token") return reply(res, 404, { error: "not found" });
    // Docker may POST an OAuth2 form (grant_type=password); GET with Basic auth is the common path.
    const params = req.method === "POST" ? new URLSearchParams(await readBody(req)) : url.searchParams;
    let user: string | undefined;
    let password: string | undefined;
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? "");
    if (basic?.[1]) {
      const decoded = Buffer.from(basic[1], "base64").toString();
      const colon = decoded.indexOf(":");
      user = colon < 0 ? decoded : decoded.slice(0, colon);
      password = colon < 0 ? "" : decoded.slice(colon + 1);
    } else if (params.get("grant_type") === "password") {
      user = params.get("username") ?? "";
      password = params.get("password") ?? "";
    }
    const scopes = params.getAll("scope").flatMap((s) => s.split(" ")).filter((s) => s !== "");
    const entry: TokenRequest = { user: user ?? "anonymous", scopes, status: 200 };
    log.push(entry);

    let allowed: string[] | undefined; // undefined = whatever is asked
    if (user !== undefined) {
      const known = opts.users[user];
      if (!known || known.password !== password) {
        entry.status = 401;
        return reply(res, 401, { errors: [{ code: "UNAUTHORIZED", message: "invalid username or password" }] });
      }
      allowed = known.actions;
    } else {
      if (anonymous.length === 0) {
        entry.status = 401;
        return reply(res, 401, { errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] });
      }
      allowed = anonymous;
    }
    const access = scopes.flatMap((s): Access[] => {
      const parsed = parseScope(s);
      if (!parsed) return [];
      const actions = parsed.actions.filter((a) => allowed === undefined || allowed.includes(a) || allowed.includes("*"));
      return actions.length ? [{ ...parsed, actions }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: issuer,
      sub: user ?? "",
      aud: service,
      exp: now + state.expiresIn,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    };
    const token = signJwt({ typ: "JWT", alg: "RS256", kid }, claims, privateKey);
    reply(res, 200, {
      token,
      access_token: token,
      expires_in: Math.max(state.expiresIn, 0),
      issued_at: new Date(now * 1000).toISOString(),
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => reply(res, 500, { error: String(err) }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certBundle,
    get requests() {
      return log.length;
    },
    log,
    get expiresIn() {
      return state.expiresIn;
    },
    set expiresIn(v: number) {
      state.expiresIn = v;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `repository:base/python:pull,push` → parts; split at the first and the last colon. */
export function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(":");
  const last = scope.lastIndexOf(":");
  if (first < 0 || last <= first) return undefined;
  const actions = scope.slice(last + 1).split(",").filter((a) => a !== "");
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions };
}

/**
 * libtrust key id, which registry 2.8 uses to find the verifying key: SHA-256 of the DER
 * SubjectPublicKeyInfo, first 30 bytes, base32 without padding, groups of 4 joined with ':'.
 */
export function libtrustKeyId(spkiDer: Buffer): string {
  const b32 = base32(createHash("sha256").update(spkiDer).digest().subarray(0, 30));
  return b32.match(/.{4}/g)!.join(":");
}

function base32(buf: Buffer): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

function signJwt(header: object, claims: object, key: KeyObject): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${sign("sha256", Buffer.from(input), key).toString("base64url")}`;
}

// --- a minimal DER writer, enough for one self-signed X.509 v1 certificate -------------------------

function der(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len =
    n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const seq = (...parts: Buffer[]) => der(0x30, Buffer.concat(parts));
const utcTime = (d: Date) => der(0x17, Buffer.from(d.toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z"));
// OIDs pre-encoded: sha256WithRSAEncryption 1.2.840.113549.1.1.11 and commonName 2.5.4.3
const SHA256_RSA = Buffer.from("06092a864886f70d01010b", "hex");
const CN = Buffer.from("0603550403", "hex");

function selfSignedCert(spkiDer: Buffer, key: KeyObject, commonName: string): Buffer {
  const alg = seq(SHA256_RSA, Buffer.from([0x05, 0x00]));
  const name = seq(der(0x31, seq(CN, der(0x0c, Buffer.from(commonName)))));
  const now = Date.now();
  const tbs = seq(
    der(0x02, Buffer.from([0x01])), // serial 1 (version omitted: v1)
    alg,
    name,
    seq(utcTime(new Date(now - 3600_000)), utcTime(new Date(now + 2 * 86400_000))),
    name,
    spkiDer,
  );
  const sig = sign("sha256", tbs, key);
  return seq(tbs, alg, der(0x03, Buffer.concat([Buffer.from([0]), sig])));
}

function toPem(label: string, body: Buffer): string {
  const lines = body.toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString()));
    req.on("error", reject);
  });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
