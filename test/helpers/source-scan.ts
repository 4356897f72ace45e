/**
 * Reads src/ with the TypeScript compiler API for the structural tests (test/unit/architecture.test.ts):
 * the length of every function, and the text of every string literal. Pure over source text, so
 * the tests of the tests can feed it a snippet.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import ts from "typescript";

export interface FunctionSpan {
  /** `file:line name`, for messages. */
  where: string;
  lines: number;
}

export interface StringLiteral {
  where: string;
  text: string;
}

/** Every .ts file below `dir`, as [path relative to dir (POSIX), source text]. */
export async function readSources(dir: string): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !e.name.endsWith(".ts")) continue;
    const path = join(e.parentPath, e.name);
    out.push([relative(dir, path).split(sep).join("/"), await readFile(path, "utf8")]);
  }
  return out.sort(([a], [b]) => a.localeCompare(b));
}

function parse(file: string, text: string): ts.SourceFile {
  return ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

function lineOf(sf: ts.SourceFile, pos: number): number {
  return sf.getLineAndCharacterOfPosition(pos).line + 1;
}

function nameOf(node: ts.Node): string {
  const named = node as { name?: ts.Node };
  if (named.name && (ts.isIdentifier(named.name) || ts.isPrivateIdentifier(named.name))) return named.name.text;
  if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) {
    const p = node.parent;
    if (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) return nameOf(p);
  }
  return "(anonymous)";
}

/** Functions, methods, accessors, constructors and arrow functions with a body: lines from signature to closing brace. */
export function functionSpans(file: string, text: string): FunctionSpan[] {
  const sf = parse(file, text);
  const spans: FunctionSpan[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && (node as { body?: ts.Node }).body) {
      const first = lineOf(sf, node.getStart(sf));
      spans.push({ where: `${file}:${first} ${nameOf(node)}`, lines: lineOf(sf, node.getEnd()) - first + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return spans;
}

/** The text of each string literal and template part (imports and comments excluded). */
export function stringLiterals(file: string, text: string): StringLiteral[] {
  const sf = parse(file, text);
  const out: StringLiteral[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return;
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) {
      out.push({ where: `${file}:${lineOf(sf, node.getStart(sf))}`, text: node.text });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}
