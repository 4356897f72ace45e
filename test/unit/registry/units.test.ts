/** Pure helpers of the registry client: backoff, Retry-After, redaction, error mapping, withDigest. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sha256Digest } from "../../../src/digest.js";
import { redactUrl } from "../../../src/redact-url.js";
import { toRegistryError } from "../../../src/registry/registry-error.js";
import { backoffDelay, isRetryableStatus, parseRetryAfter } from "../../../src/retry.js";
import { withDigest } from "../../../src/registry/upload.js";

const ctx = { method: "GET", url: "http://r/v2/x", registry: "127.0.0.1:5000", repository: "x", subject: "manifest" as const };

describe("registry client helpers", () => {
  it("backs off exponentially with jitter, capped", () => {
    const o = { attempts: 5, minDelayMs: 100, maxDelayMs: 1000 };
    assert.equal(backoffDelay(1, o, () => 0), 50);
    assert.equal(backoffDelay(1, o, () => 1), 100);
    assert.equal(backoffDelay(3, o, () => 1), 400);
    assert.equal(backoffDelay(10, o, () => 1), 1000);
  });

  it("parses Retry-After seconds and dates, capped", () => {
    assert.equal(parseRetryAfter("3", 60_000), 3000);
    assert.equal(parseRetryAfter("999", 5000), 5000);
    assert.equal(parseRetryAfter(new Date(10_000).toUTCString(), 60_000, 4000), 6000);
    assert.equal(parseRetryAfter("soon", 60_000), undefined);
    assert.equal(parseRetryAfter(undefined, 60_000), undefined);
  });

  it("retries 5xx/429/408 but not 501 or 4xx", () => {
    for (const s of [500, 502, 503, 504, 429, 408]) assert.ok(isRetryableStatus(s), String(s));
    for (const s of [400, 401, 403, 404, 501]) assert.ok(!isRetryableStatus(s), String(s));
  });

  it("redacts userinfo and query values that may carry secrets", () => {
    const r = redactUrl("https://user:pw@cdn.example/blob?X-Amz-Signature=abc&digest=sha256:1&_state=zzz");
    assert.doesNotMatch(r, /pw|abc|zzz|user/);
    assert.match(r, /digest=sha256%3A1/);
  });

  it("maps registry error codes and statuses to stable codes", () => {
    const body = (code: string) => JSON.stringify({ errors: [{ code, message: "m" }] });
    assert.equal(toRegistryError(404, body("NAME_UNKNOWN"), ctx).code, "E_NAME_UNKNOWN");
    assert.equal(toRegistryError(404, body("MANIFEST_UNKNOWN"), ctx).code, "E_MANIFEST_UNKNOWN");
    assert.equal(toRegistryError(404, "", { ...ctx, subject: "blob" }).code, "E_BLOB_UNKNOWN");
    assert.equal(toRegistryError(400, body("DIGEST_INVALID"), ctx).code, "E_DIGEST_MISMATCH");
    assert.equal(toRegistryError(403, body("DENIED"), ctx).code, "E_DENIED");
    assert.equal(toRegistryError(401, body("UNAUTHORIZED"), { ...ctx, insufficientScope: true }).code, "E_DENIED");
    assert.equal(toRegistryError(502, "<html>bad gateway</html>", ctx).code, "E_REGISTRY");
    const ngc = toRegistryError(401, body("UNAUTHORIZED"), { ...ctx, registry: "nvcr.io" });
    assert.equal(ngc.code, "E_UNAUTHORIZED");
    assert.match(ngc.hint ?? "", /NGC_API_KEY/);
    assert.deepEqual(ngc.registryErrors, [{ code: "UNAUTHORIZED", message: "m", detail: undefined }]);
  });

  it("appends digest= to upload locations with and without a query", () => {
    const d = sha256Digest("x");
    assert.equal(withDigest(new URL("http://h/v2/a/blobs/uploads/u"), d).href, `http://h/v2/a/blobs/uploads/u?digest=${encodeURIComponent(d)}`);
    assert.equal(withDigest(new URL("http://h/u?_state=a%2Bb%3D"), d).href, `http://h/u?_state=a%2Bb%3D&digest=${encodeURIComponent(d)}`);
  });
});
