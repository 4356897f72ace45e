/**
 * The app's main file becomes part of the run command (`python3 -u /opt/monai/app/<file>`), which
 * the MAP runner and monai-exec run through `sh -c`. A name such as `x$(touch${IFS}PWN);y.py` would
 * run code at container start and `my app.py` would split in two, so names outside a plain set are
 * refused with a clear error rather than quoted: the command string is read by other tools too,
 * which expect it unquoted.
 */
import { MapBuildError } from "../errors.js";

/** Path segments of letters, digits, `_`, `.` and `-` (not starting with `-` or `.`), joined by `/`. */
const SAFE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$/;

/** `rel` (relative to the app folder) when it can go into the run command as it is. */
export function safeAppFileName(rel: string): string {
  if (SAFE.test(rel)) return rel;
  throw new MapBuildError("E_APP_INVALID", `the app file name ${JSON.stringify(rel)} cannot go into the run command: only letters, digits, "_", "." and "-" are allowed`, {
    hint: "rename the file (and its folder) to a plain name such as my_app.py",
  });
}
