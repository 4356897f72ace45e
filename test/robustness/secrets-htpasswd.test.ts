/** Secrets never printed, against the htpasswd (Basic auth) registry: see secrets-matrix.ts. */
import { describeSecrets } from "./secrets-matrix.js";

describeSecrets("htpasswd");
