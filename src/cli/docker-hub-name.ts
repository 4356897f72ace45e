/** Tags without a registry host resolve to Docker Hub, which surprises people who meant a private registry. */
import { parseReference } from "../reference/index.js";

/** `myapp:1` → `docker.io/library/myapp:1`; undefined when the tag names a registry host. */
export function dockerHubShortName(tag: string): string | undefined {
  const first = tag.split("/")[0]!;
  const hasHost = tag.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  if (hasHost) return undefined;
  try {
    return parseReference(tag).toString();
  } catch {
    return undefined;
  }
}
