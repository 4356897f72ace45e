/** URLs in errors and logs: no userinfo, and query values only where they cannot carry a secret. */
const SAFE_QUERY_KEYS = new Set(["digest", "mount", "from", "service", "scope", "n", "last"]);

export function redactUrl(url: string | URL): string {
  let u: URL;
  try {
    u = new URL(url.toString());
  } catch {
    return "<invalid url>";
  }
  u.username = "";
  u.password = "";
  for (const key of [...u.searchParams.keys()]) {
    if (!SAFE_QUERY_KEYS.has(key)) u.searchParams.set(key, "REDACTED");
  }
  return u.toString();
}
