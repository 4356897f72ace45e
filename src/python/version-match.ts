/** PEP 440 matching as pip applies it: pre-releases only when asked for or written in the specifier. */
import { satisfies } from "@renovatebot/pep440";

export const PRE = /(a|b|rc|dev)\d*/i;

/** Does `version` satisfy `spec`? A specifier that names a pre-release admits pre-releases. */
export function sat(version: string, spec: string, pre: boolean): boolean {
  if (!spec) return true;
  try {
    return satisfies(version, spec, { prereleases: pre || PRE.test(spec) });
  } catch {
    return false;
  }
}

export function isPre(version: string): boolean {
  return PRE.test(version.replace(/\.post\d+$/i, ""));
}
