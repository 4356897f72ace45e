/** Test inputs that are data live in the top-level fixtures/ folder; generated ones come from scripts/. */
import { join, resolve } from "node:path";

export const FIXTURES = resolve(import.meta.dirname, "../../fixtures");

export function fixture(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}
