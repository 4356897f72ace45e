/** Shared bits of the registry client tests. */
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import type { Layer } from "../../src/image/image.js";
import { RegistryClient, type RegistryClientOptions } from "../../src/registry/index.js";

/** Retry delays of a few ms so fault tests stay fast. */
export const FAST_RETRY = { attempts: 4, minDelayMs: 5, maxDelayMs: 50 };

export function fastClient(opts: RegistryClientOptions = {}): RegistryClient {
  return new RegistryClient({ retry: FAST_RETRY, ...opts });
}

export async function sha256Of(stream: Readable): Promise<{ digest: string; size: number }> {
  const h = createHash("sha256");
  let size = 0;
  for await (const c of stream) {
    h.update(c as Buffer);
    size += (c as Buffer).length;
  }
  return { digest: `sha256:${h.digest("hex")}`, size };
}

export async function readLayer(layer: Layer): Promise<{ digest: string; size: number }> {
  return sha256Of(await layer.open());
}

/** Assert a promise rejects with a MapBuildError of `code`; returns the error for more checks. */
export async function rejectsWithCode(p: Promise<unknown>, code: string): Promise<Error & { code: string; hint?: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { code: string };
    if (e.code !== code) throw new Error(`expected ${code}, got ${e.code}: ${e.message}`, { cause: err });
    return e;
  }
  throw new Error(`expected rejection with ${code}, but it resolved`);
}
