/** Map a registry's error response to a RegistryError with a stable code, its own codes and a hint. */
import type { Dispatcher } from "undici";
import { RegistryError, type ErrorCode, type RegistryErrorDetail } from "../errors.js";
import { hintsFor } from "./host-hints.js";

/** ggcr reads at most this much of an error body: enough for any JSON error, bounded for HTML pages. */
export const MAX_ERROR_BODY = 64 * 1024;

export async function readLimited(body: Dispatcher.ResponseData["body"], limit = MAX_ERROR_BODY): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of body) {
      const b = chunk as Buffer;
      chunks.push(b.subarray(0, Math.max(0, limit - n)));
      n += b.length;
      if (n >= limit) break;
    }
  } catch {
    // A body that dies while we read an error is not worth a second error.
  } finally {
    if (n >= limit) {
      body.on("error", () => {});
      body.destroy();
    }
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function parseErrorBody(text: string): RegistryErrorDetail[] {
  try {
    const json = JSON.parse(text) as { errors?: unknown };
    if (!Array.isArray(json.errors)) return [];
    return json.errors
      .filter((e): e is Record<string, unknown> => typeof e === "object" && e !== null && typeof (e as { code?: unknown }).code === "string")
      .map((e) => ({ code: e.code as string, message: typeof e.message === "string" ? e.message : undefined, detail: e.detail }));
  } catch {
    return [];
  }
}

/** What the request was about, for the default code of a bare 404 and for messages. */
export type Subject = "manifest" | "blob" | "upload" | "token" | "registry";

const BY_REGISTRY_CODE: Record<string, ErrorCode> = {
  UNAUTHORIZED: "E_UNAUTHORIZED",
  DENIED: "E_DENIED",
  NAME_UNKNOWN: "E_NAME_UNKNOWN",
  NAME_INVALID: "E_INVALID_REFERENCE",
  TAG_INVALID: "E_INVALID_REFERENCE",
  MANIFEST_UNKNOWN: "E_MANIFEST_UNKNOWN",
  BLOB_UNKNOWN: "E_BLOB_UNKNOWN",
  DIGEST_INVALID: "E_DIGEST_MISMATCH",
  SIZE_INVALID: "E_SIZE_MISMATCH",
  MANIFEST_INVALID: "E_MANIFEST_INVALID",
  MANIFEST_BLOB_UNKNOWN: "E_MANIFEST_INVALID",
};

export interface ErrorContext {
  method: string;
  /** Redacted. */
  url: string;
  registry: string;
  repository?: string;
  subject: Subject;
  /** The challenge said `error="insufficient_scope"`: the credentials work but lack an action. */
  insufficientScope?: boolean;
}

export function toRegistryError(status: number, bodyText: string, ctx: ErrorContext): RegistryError {
  const registryErrors = parseErrorBody(bodyText);
  const first = registryErrors[0];
  let code: ErrorCode | undefined = first ? BY_REGISTRY_CODE[first.code] : undefined;
  if (status === 401) code = ctx.insufficientScope ? "E_DENIED" : code === "E_DENIED" ? code : "E_UNAUTHORIZED";
  else if (status === 403) code = "E_DENIED";
  else if (!code && status === 404) {
    code = ctx.subject === "manifest" ? "E_MANIFEST_UNKNOWN" : ctx.subject === "blob" ? "E_BLOB_UNKNOWN" : "E_REGISTRY";
  }
  code ??= "E_REGISTRY";
  const where = ctx.repository ? `${ctx.registry}/${ctx.repository}` : ctx.registry;
  const theirs = first ? `: ${first.code}${first.message ? ` (${first.message})` : ""}` : "";
  const message = `${ctx.method} ${ctx.subject} on ${where} failed with ${status}${theirs}`;
  return new RegistryError(code, message, {
    status,
    method: ctx.method,
    url: ctx.url,
    registryErrors,
    hint: hintFor(code, ctx),
  });
}

function hintFor(code: ErrorCode, ctx: ErrorContext): string | undefined {
  switch (code) {
    case "E_UNAUTHORIZED":
      return hintsFor(ctx.registry).unauthorized;
    case "E_DENIED":
      return `the credentials for ${ctx.registry} lack permission for this ${ctx.method === "GET" || ctx.method === "HEAD" ? "pull" : "push"}; check the account's access to ${ctx.repository ?? "the repository"}`;
    case "E_NAME_UNKNOWN":
      return "check the repository name (and that you are logged in: some registries answer 404 for private repositories)";
    case "E_MANIFEST_UNKNOWN":
      return "check the tag or digest; list tags with `skopeo list-tags docker://<repository>`";
    case "E_DIGEST_MISMATCH":
      return "the bytes sent do not hash to the declared digest; retry, and report it if it persists";
    case "E_REGISTRY":
      return "the registry refused the request; retry later or check its status";
    default:
      return undefined;
  }
}
