/**
 * Which registries may be spoken to over plain http. Like docker's daemon, only loopback hosts are
 * insecure by default (a local test registry); anything else needs an explicit `--insecure-registry`
 * entry, because credentials would otherwise cross the network in the clear.
 */
import { BlockList, isIP } from "node:net";

/** Split `host[:port]` (IPv6 in brackets, or bare) into a lower-case host without brackets and a port. */
export function splitHostPort(hostPort: string): { host: string; port: string | undefined } {
  let s = hostPort.trim().toLowerCase();
  s = s.replace(/^[a-z][a-z0-9+.-]*:\/\//, ""); // tolerate `http://host:5000/` in a list entry
  const slash = s.indexOf("/");
  if (slash >= 0 && !isCidr(s)) s = s.slice(0, slash);
  if (s.startsWith("[")) {
    const close = s.indexOf("]");
    if (close < 0) return { host: s, port: undefined };
    const rest = s.slice(close + 1);
    return { host: s.slice(1, close), port: rest.startsWith(":") ? rest.slice(1) : undefined };
  }
  if (isIP(s) === 6) return { host: s, port: undefined }; // bare IPv6 has no port
  const colon = s.lastIndexOf(":");
  if (colon >= 0 && s.indexOf(":") === colon) return { host: s.slice(0, colon), port: s.slice(colon + 1) };
  return { host: s, port: undefined };
}

function isCidr(s: string): boolean {
  const slash = s.indexOf("/");
  return slash > 0 && /^[0-9]{1,3}$/.test(s.slice(slash + 1)) && isIP(s.slice(0, slash).replace(/^\[|\]$/g, "")) !== 0;
}

/** The same address spelled one way: `::1`, `0:0::1` and `0:0:0:0:0:0:0:1` all become `::1`. */
function canonicalHost(host: string): string {
  if (isIP(host) !== 6) return host.replace(/\.$/, "");
  try {
    return new URL(`http://[${host}]/`).hostname.slice(1, -1);
  } catch {
    return host;
  }
}

/** 127.0.0.0/8, ::1, IPv4-mapped loopback and the name `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = canonicalHost(splitHostPort(host).host);
  if (h === "localhost") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (isIP(h) === 6) {
    if (h === "::1") return true;
    const mapped = /^::ffff:([0-9a-f]{1,4}):[0-9a-f]{1,4}$/.exec(h);
    return mapped !== null && parseInt(mapped[1]!, 16) >> 8 === 127;
  }
  return false;
}

function matchesEntry(host: string, port: string | undefined, entry: string): boolean {
  const e = entry.trim().toLowerCase();
  if (e === "") return false;
  if (isCidr(e)) {
    // docker's --insecure-registry also takes CIDR ranges, e.g. 10.0.0.0/8.
    const slash = e.indexOf("/");
    const net = e.slice(0, slash).replace(/^\[|\]$/g, "");
    const family = isIP(net) === 6 ? "ipv6" : "ipv4";
    if (isIP(host) === 0) return false;
    const list = new BlockList();
    list.addSubnet(net, Number(e.slice(slash + 1)), family);
    return list.check(host, isIP(host) === 6 ? "ipv6" : "ipv4");
  }
  const want = splitHostPort(e);
  if (canonicalHost(want.host) !== host) return false;
  // An entry without a port covers every port of that host; with a port, only that one.
  return want.port === undefined || want.port === port;
}

/** True when `host[:port]` is loopback or listed in `insecureRegistries` (host, host:port or CIDR). */
export function isInsecureRegistry(hostPort: string, insecureRegistries: readonly string[]): boolean {
  if (isLoopbackHost(hostPort)) return true;
  const { host, port } = splitHostPort(hostPort);
  const h = canonicalHost(host);
  return insecureRegistries.some((entry) => matchesEntry(h, port, entry));
}

/** URL scheme for a registry's API host: plain http only for loopback or explicitly insecure registries. */
export function registryScheme(host: string, insecureRegistries: readonly string[]): "http" | "https" {
  return isInsecureRegistry(host, insecureRegistries) ? "http" : "https";
}
