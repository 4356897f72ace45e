/** One PEP 508 requirement (`name[extra1,extra2] >=1.0,<2 ; marker`), as in requirements files and METADATA. */
import { validRange } from "@renovatebot/pep440";
import { MapBuildError, optionName } from "../errors.js";
import { parseMarker } from "./markers.js";
import { normalizeName } from "./names.js";

export interface Requirement {
  /** PEP 503 normalised name. */
  name: string;
  /** The name as written, for messages. */
  displayName: string;
  /** Normalised extras, sorted. */
  extras: string[];
  /** PEP 440 specifier set without spaces, e.g. ">=1.0,<2"; "" for any version. */
  specifier: string;
  /** Marker text after `;` (validated), if any. */
  marker?: string;
  /** Allowed sha256 digests (hex, lower case); empty = not hash-checked. */
  hashes: string[];
  /** Where it came from, e.g. "requirements.txt:3" or "@env(pip_packages)". */
  origin: string;
}

const NAME = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*/;

function bad(origin: string, text: string, why: string, hint?: string): never {
  throw new MapBuildError("E_PYTHON_DEPS", `${origin}: cannot use requirement "${text}": ${why}`, {
    hint: hint ?? "write a PEP 508 requirement such as name==1.2.3 or name>=1.0 ; python_version >= \"3.8\"",
  });
}

/** The exact version when the specifier is a single `==X` / `===X` pin without wildcard. */
export function pinnedVersion(specifier: string): string | undefined {
  const m = /^===?([^,*]+)$/.exec(specifier);
  return m ? m[1] : undefined;
}

/** Parse one requirement string. URLs (`name @ url`) are refused: map-build installs from wheel sources only. */
export function parseRequirement(text: string, origin = "requirement"): Requirement {
  let rest = text.trim();
  let marker: string | undefined;
  const semi = rest.indexOf(";");
  if (semi >= 0) {
    marker = rest.slice(semi + 1).trim();
    rest = rest.slice(0, semi).trim();
    parseMarker(marker); // validate now so the error names the line
  }
  const nm = NAME.exec(rest);
  if (!nm) bad(origin, text, "no project name");
  const displayName = nm[1]!;
  rest = rest.slice(nm[0].length);
  let extras: string[] = [];
  if (rest.startsWith("[")) {
    const end = rest.indexOf("]");
    if (end < 0) bad(origin, text, "unclosed [extras]");
    extras = rest.slice(1, end).split(",").map((e) => e.trim()).filter(Boolean).map(normalizeName).sort();
    rest = rest.slice(end + 1).trim();
  }
  if (rest.startsWith("@")) {
    bad(origin, text, "direct URL references are not supported",
      `download the wheel (pip download -d wheelhouse …), pass that folder as ${optionName("wheelhouse")} and pin name==version`);
  }
  if (rest.startsWith("(") && rest.endsWith(")")) rest = rest.slice(1, -1).trim();
  const specifier = rest.replace(/\s+/g, "");
  if (specifier && !validRange(specifier)) bad(origin, text, `invalid version specifier "${rest}"`);
  const req: Requirement = { name: normalizeName(displayName), displayName, extras, specifier, hashes: [], origin };
  if (marker) req.marker = marker;
  return req;
}

/** `name[extras]specifier ; marker` back to text, for messages and pkg.json. */
export function formatRequirement(r: Requirement): string {
  const extras = r.extras.length ? `[${r.extras.join(",")}]` : "";
  return `${r.displayName}${extras}${r.specifier}${r.marker ? ` ; ${r.marker}` : ""}`;
}
