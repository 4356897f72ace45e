/**
 * Commander keeps the last value of a repeated option silently (`-t a -t b` builds `b`). A value
 * flag given twice is almost always a mistake in a script, so it is a usage error unless the
 * option collects its values (declared with `collect`).
 */
import type { Command, Option } from "commander";
import { MapBuildError } from "../errors.js";
import { collect } from "./validate-flags.js";

function flagName(o: Option): string {
  return o.long ?? o.short ?? o.name();
}

export function rejectRepeatedValues(cmd: Command): void {
  const seen = new Set<string>();
  for (const o of cmd.options) {
    if (!(o.required || o.optional) || o.variadic || o.parseArg === collect) continue;
    cmd.on(`option:${o.name()}`, () => {
      if (seen.has(o.name())) {
        throw new MapBuildError("E_USAGE", `${flagName(o)} was given more than once`, { hint: `pass ${flagName(o)} once; only its repeatable options may appear several times` });
      }
      seen.add(o.name());
    });
  }
  for (const sub of cmd.commands) rejectRepeatedValues(sub);
}
