/** `python:3` and `docker.io/library/python:3` name the same image; no tag means `latest`. */
export function normalizeTag(t: string): string {
  let s = t.replace(/^docker\.io\/library\//, "").replace(/^docker\.io\//, "");
  if (!/:[^/]+$/.test(s) && !s.includes("@")) s += ":latest";
  return s;
}
