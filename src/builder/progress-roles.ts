/**
 * Progress rows a person can read: sinks report blobs by digest, the build knows what each blob
 * is. This relabels sink events with the layer's role (`app`, `model:seg`, `python-deps`,
 * `base 2/5`, `manifest`) and the output they belong to (`push host/repo`, `tarball x.tar`).
 */
import { basename } from "node:path";
import type { ImageReference } from "../reference/index.js";
import type { ProgressSink } from "../progress.js";
import type { Sink } from "../sinks/index.js";

export interface BlobRoles {
  /** Layer digests in image order, with the role of each added layer (undefined: base). */
  layers: { digest: string; role?: string }[];
  manifestDigest: string;
  configDigest: string;
}

export function roleTable(roles: BlobRoles): Map<string, string> {
  const baseCount = roles.layers.filter((l) => !l.role).length;
  const table = new Map<string, string>();
  let b = 0;
  for (const l of roles.layers) if (!table.has(l.digest)) table.set(l.digest, l.role ?? `base ${++b}/${baseCount}`);
  table.set(roles.manifestDigest, "manifest");
  table.set(roles.configDigest, "config");
  return table;
}

export function outputLabel(sink: Sink, name: ImageReference): string {
  if (sink.kind === "push") return `push ${name.registry}/${name.repository}`;
  return sink.target ? `${sink.kind} ${basename(sink.target)}` : sink.kind;
}

export function sinkProgress(progress: ProgressSink | undefined, roles: Map<string, string>, output: string): ProgressSink | undefined {
  if (!progress) return undefined;
  return (e) => progress({ ...e, id: roles.get(e.id) ?? e.id, output });
}
