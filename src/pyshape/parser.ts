/**
 * Loads tree-sitter (web-tree-sitter, wasm) with the Python grammar. Parsing only: the
 * analyser never executes user code. The `.wasm` files are copied to out/wasm/ by the build;
 * bundles find them next to themselves, tests and tools can pass another folder.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defaultWasmDirs, findWasmDir as findWasmAssetDir } from '../backends/wasmAssets';
import type { Language, Node, Parser, Tree } from 'web-tree-sitter';
import { normalizeLineEnds, PARSE_BUDGET_MS, SourceRejected } from './textGuard';

export { defaultWasmDirs } from '../backends/wasmAssets';
export type { Node as SyntaxNode, Tree as SyntaxTree } from 'web-tree-sitter';

/** Parses Python source into tree-sitter trees. */
export interface PythonParser {
  /**
   * Parse `text`; `oldTree` (already edited) makes it incremental. Throws SourceRejected when
   * the parse takes more than `budgetMs` (default PARSE_BUDGET_MS).
   */
  parse(text: string, oldTree?: Tree, budgetMs?: number): Tree;
}

const GRAMMAR = 'tree-sitter-python.wasm';
const RUNTIME = 'web-tree-sitter.wasm';

/** The folder holding the grammar's .wasm, or an error naming the places searched. */
export function findWasmDir(dirs: readonly string[] = defaultWasmDirs()): string {
  return findWasmAssetDir(GRAMMAR, dirs);
}

let loading: Promise<PythonParser> | undefined;

/** Load the parser once per process; later calls share it. */
export function loadPythonParser(wasmDir?: string): Promise<PythonParser> {
  loading ??= load(wasmDir ?? findWasmDir()).catch((e: unknown) => {
    loading = undefined;
    throw e;
  });
  return loading;
}

async function load(dir: string): Promise<PythonParser> {
  // Loaded lazily so activation and the CLI's other commands never pay for it.
  const ts = require('web-tree-sitter') as typeof import('web-tree-sitter');
  const runtime = join(dir, RUNTIME);
  await ts.Parser.init(existsSync(runtime) ? { locateFile: () => runtime } : undefined);
  const language: Language = await ts.Language.load(join(dir, GRAMMAR));
  const parser: Parser = new ts.Parser();
  parser.setLanguage(language);
  return {
    parse(text, oldTree, budgetMs = PARSE_BUDGET_MS) {
      const deadline = performance.now() + budgetMs;
      // Returning true from the progress callback cancels the parse (parse() then returns null).
      const tree = parser.parse(normalizeLineEnds(text), oldTree ?? null, {
        progressCallback: () => performance.now() > deadline,
      } as Parameters<Parser['parse']>[2]);
      if (tree) return tree;
      parser.reset(); // a cancelled parse would otherwise resume on the next call
      throw new SourceRejected(`parsing took more than ${budgetMs} ms: too large or not Python source`);
    },
  };
}

/** Re-exported so callers can name node types without importing web-tree-sitter. */
export type PyNode = Node;
