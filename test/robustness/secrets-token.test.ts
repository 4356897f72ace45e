/** Secrets never printed, against the bearer-token registry: see secrets-matrix.ts. */
import { describeSecrets } from "./secrets-matrix.js";

describeSecrets("token");
