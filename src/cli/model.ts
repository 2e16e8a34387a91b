/**
 * `--model FILE[:NAME]`: a network read from the reader's code (a .py file, or a notebook's code
 * cells as one program), for `nin train` and `nin shapes`.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ModelSource } from '../protocol';
import { analysePython } from '../pyshape/analyse';
import { parseShapeText } from '../pyshape/inputShape';
import { joinCells, parseIpynb } from '../pyshape/notebook';
import { loadPythonParser } from '../pyshape/parser';
import { pickModelOrCode } from '../pyshape/codeModel';
import { pickModel } from '../pyshape/toSpec';
import { UsageError } from './args';

/** Split `FILE[:NAME]`; NAME is as `nin annotate` names models (`net`, `nin()`, `Net()`). */
export function splitModelArg(arg: string): { file: string; name?: string } {
  const m = /^(.*\.(?:py|ipynb)):([A-Za-z_][\w.]*(?:\(\))?)$/.exec(arg);
  return m ? { file: m[1], name: m[2] } : { file: arg };
}

/**
 * Read, analyse and pick the model; errors say what to do. With `code`, a model the analysis
 * cannot build (a class with its own forward()) comes back to be built by its code (PyTorch);
 * `always`: every model does.
 */
export async function readModelArg(
  arg: string,
  inputText?: string,
  code: false | 'fallback' | 'always' = false,
): Promise<ModelSource> {
  const { file, name } = splitModelArg(arg);
  const path = resolve(file);
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`--model: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let input: number[] | undefined;
  try {
    input = inputText === undefined ? undefined : parseShapeText(inputText);
  } catch (e) {
    throw new UsageError(`--input: ${(e as Error).message}`);
  }
  if (input?.length === 1) input = [1, input[0], input[0]];
  // A notebook is its code cells as one program, as Run All runs them (IPython lines blanked).
  const notebook = /\.ipynb$/i.test(path);
  if (notebook) source = joinCells(parseIpynb(source, file)).source;
  const a = analysePython(await loadPythonParser(), source, {
    ...(input ? { input, inputSource: 'override' as const } : {}),
    notebook,
  });
  const picked = code ? pickModelOrCode(a, path, source, name, code === 'always') : pickModel(a, path, source, name);
  if (!picked.ok) throw new UsageError(`--model: ${picked.why}`);
  return picked.model;
}
