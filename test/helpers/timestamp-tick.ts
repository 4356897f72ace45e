import { stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Wait until the file system's timestamp clock has moved past `ns` (it ticks coarsely, ~4 ms): a
 * change made after this shows in ctime, which a stat check compares.
 */
export async function nextTimestampTick(dir: string, ns: bigint): Promise<void> {
  const probe = join(dir, ".tick");
  for (;;) {
    await writeFile(probe, "");
    if ((await stat(probe, { bigint: true })).ctimeNs > ns) return;
    await new Promise((r) => setImmediate(r));
  }
}
