/**
 * The one table of registry-specific advice (style §3.8: no hostname special cases elsewhere).
 * Keyed by `ImageReference.registry`.
 */
import { optionName } from "../errors.js";

export interface HostHints {
  /** What to do on 401 / a refused token request. */
  unauthorized: string;
}

const TABLE: Record<string, HostHints> = {
  // NGC: username `$oauthtoken`, password = the API key (facts.md "Registry protocol sharp edges").
  "nvcr.io": { unauthorized: "set NGC_API_KEY to your NGC API key (user $oauthtoken), or log in with docker login nvcr.io" },
  // Docker Hub stores credentials under https://index.docker.io/v1/ in config.json.
  "docker.io": { unauthorized: "check the image name, or log in with docker login (Docker Hub hides private repos behind 401)" },
};

export function hintsFor(registry: string): HostHints {
  return (
    TABLE[registry] ?? {
      unauthorized: `log in to ${registry} (docker login ${registry}) or pass ${optionName("username")}/${optionName("passwordStdin")}`,
    }
  );
}
