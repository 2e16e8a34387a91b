/**
 * A small Python AST built from tree-sitter nodes: only what the evaluator reads. Function
 * bodies convert lazily (most of a long file is never evaluated), and nesting deeper than
 * MAX_DEPTH becomes `unsupported` so pathological input cannot overflow the stack.
 */
import type { PyNode } from './parser';

/** Where a node is: UTF-16 offsets and 0-based line/column, as editors count them. */
export interface Span {
  readonly start: number;
  readonly end: number;
  readonly line: number;
  readonly col: number;
  readonly endLine: number;
  readonly endCol: number;
}

/** One argument at a call site. */
export type Arg =
  | { readonly kind: 'pos'; readonly value: Expr }
  | { readonly kind: 'star'; readonly value: Expr }
  | { readonly kind: 'kw'; readonly name: string; readonly value: Expr }
  | { readonly kind: 'dstar'; readonly value: Expr };

/** A comprehension's `for ... in ...` or `if ...` clause. */
export type Clause =
  { readonly kind: 'for'; readonly target: Expr; readonly iter: Expr } | { readonly kind: 'if'; readonly test: Expr };

/** Expressions (assignment targets are expressions too). */
export type Expr = { readonly span: Span } & (
  | { readonly t: 'name'; readonly id: string }
  | { readonly t: 'int'; readonly v: number }
  | { readonly t: 'float'; readonly v: number }
  | { readonly t: 'str'; readonly v: string }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'none' }
  | { readonly t: 'tuple' | 'list'; readonly items: readonly Expr[] }
  | { readonly t: 'starred'; readonly value: Expr }
  | { readonly t: 'dict'; readonly pairs: readonly (readonly [Expr, Expr])[]; readonly splats: readonly Expr[] }
  | { readonly t: 'attr'; readonly obj: Expr; readonly name: string }
  | { readonly t: 'call'; readonly fn: Expr; readonly args: readonly Arg[] }
  | { readonly t: 'bin'; readonly op: string; readonly l: Expr; readonly r: Expr }
  | { readonly t: 'unary'; readonly op: string; readonly x: Expr }
  | { readonly t: 'boolop'; readonly op: 'and' | 'or'; readonly l: Expr; readonly r: Expr }
  | { readonly t: 'not'; readonly x: Expr }
  | { readonly t: 'cmp'; readonly ops: readonly string[]; readonly operands: readonly Expr[] }
  | { readonly t: 'cond'; readonly test: Expr; readonly body: Expr; readonly orelse: Expr }
  | { readonly t: 'subscript'; readonly obj: Expr; readonly index: Expr }
  | { readonly t: 'slice'; readonly lo?: Expr; readonly hi?: Expr; readonly step?: Expr }
  | {
      readonly t: 'comp';
      readonly kind: 'list' | 'gen' | 'set';
      readonly elt: Expr;
      readonly clauses: readonly Clause[];
    }
  | { readonly t: 'unsupported'; readonly what: string }
  | { readonly t: 'lambda'; readonly fn: FuncDef }
);

/** A function parameter. */
export interface Param {
  readonly name: string;
  readonly kind: 'normal' | 'posonly' | 'kwonly' | 'varargs' | 'kwargs';
  readonly default?: Expr;
}

/** A `def`; the body is converted on first use. */
export interface FuncDef {
  readonly name: string;
  readonly params: readonly Param[];
  readonly span: Span;
  readonly body: () => readonly Stmt[];
}

/** A `class`. */
export interface ClassDef {
  readonly name: string;
  readonly bases: readonly Expr[];
  readonly span: Span;
  readonly body: readonly Stmt[];
}

/** Statements. */
export type Stmt = { readonly span: Span } & (
  | { readonly t: 'expr'; readonly e: Expr }
  | { readonly t: 'assign'; readonly targets: readonly Expr[]; readonly value: Expr }
  | { readonly t: 'augassign'; readonly target: Expr; readonly op: string; readonly value: Expr }
  | { readonly t: 'return'; readonly value?: Expr }
  | {
      readonly t: 'if';
      readonly branches: readonly { readonly test: Expr; readonly body: readonly Stmt[] }[];
      readonly orelse: readonly Stmt[];
    }
  | {
      readonly t: 'for';
      readonly target: Expr;
      readonly iter: Expr;
      readonly body: readonly Stmt[];
      readonly orelse: readonly Stmt[];
    }
  | { readonly t: 'while'; readonly test: Expr; readonly body: readonly Stmt[] }
  | { readonly t: 'def'; readonly fn: FuncDef }
  | { readonly t: 'class'; readonly cls: ClassDef }
  | { readonly t: 'import'; readonly names: readonly { readonly module: string; readonly alias?: string }[] }
  | {
      readonly t: 'importfrom';
      readonly module: string;
      readonly names: readonly { readonly name: string; readonly alias?: string }[];
    }
  | { readonly t: 'block'; readonly body: readonly Stmt[] }
  | { readonly t: 'break' | 'continue' | 'pass' | 'other' }
);

/** Deeper nesting than this is not evaluated (it is not how models are written). */
export const MAX_DEPTH = 120;

/** The span of a tree-sitter node. */
export function spanOf(n: PyNode): Span {
  const s = n.startPosition;
  const e = n.endPosition;
  return { start: n.startIndex, end: n.endIndex, line: s.row, col: s.column, endLine: e.row, endCol: e.column };
}

const field = (n: PyNode, name: string): PyNode | null => n.childForFieldName(name);
const named = (n: PyNode): PyNode[] => n.namedChildren.filter((c): c is PyNode => c !== null && c.type !== 'comment');

/** Convert a whole module: top-level statements, function bodies lazily. */
export function convertModule(root: PyNode): Stmt[] {
  return block(root, 0);
}

/** A top-level statement before conversion: enough to decide whether it is needed. */
export interface TopLevel {
  readonly node: PyNode;
  readonly span: Span;
  readonly kind: 'def' | 'class' | 'other';
  /** Names it binds: a def's or class's name (other statements: see the analyser's focus). */
  readonly defines: readonly string[];
}

/** The module's statements, unconverted (a few node reads each). */
export function topLevel(root: PyNode): TopLevel[] {
  return named(root).map((node) => {
    const def = node.type === 'decorated_definition' ? field(node, 'definition') : node;
    const span = spanOf(node);
    if (def?.type === 'function_definition' || def?.type === 'class_definition')
      return {
        node,
        span,
        kind: def.type === 'function_definition' ? 'def' : 'class',
        defines: [field(def, 'name')?.text ?? ''],
      };
    return { node, span, kind: 'other', defines: [] };
  });
}

/** Convert one top-level statement (as convertModule would). */
export function convertTopLevel(t: TopLevel): Stmt[] {
  return stmt(t.node, 1);
}

function block(n: PyNode, depth: number): Stmt[] {
  const out: Stmt[] = [];
  for (const c of named(n)) out.push(...stmt(c, depth + 1));
  return out;
}

function body(n: PyNode | null, depth: number): Stmt[] {
  return n ? block(n, depth) : [];
}

function stmt(n: PyNode, depth: number): Stmt[] {
  const span = spanOf(n);
  if (depth > MAX_DEPTH) return [{ t: 'other', span }];
  switch (n.type) {
    case 'expression_statement':
      return named(n).map((c) => exprStmt(c, depth));
    case 'return_statement': {
      const v = named(n)[0];
      return [{ t: 'return', span, value: v ? expr(v, depth + 1) : undefined }];
    }
    case 'if_statement': {
      const branches = [{ test: expr(field(n, 'condition')!, depth + 1), body: body(field(n, 'consequence'), depth) }];
      let orelse: Stmt[] = [];
      for (const alt of n.childrenForFieldName('alternative')) {
        if (!alt) continue;
        if (alt.type === 'elif_clause')
          branches.push({
            test: expr(field(alt, 'condition')!, depth + 1),
            body: body(field(alt, 'consequence'), depth),
          });
        else orelse = body(field(alt, 'body'), depth);
      }
      return [{ t: 'if', span, branches, orelse }];
    }
    case 'for_statement': {
      const alt = field(n, 'alternative');
      return [
        {
          t: 'for',
          span,
          target: expr(field(n, 'left')!, depth + 1),
          iter: expr(field(n, 'right')!, depth + 1),
          body: body(field(n, 'body'), depth),
          orelse: alt ? body(field(alt, 'body'), depth) : [],
        },
      ];
    }
    case 'while_statement':
      return [{ t: 'while', span, test: expr(field(n, 'condition')!, depth + 1), body: body(field(n, 'body'), depth) }];
    case 'function_definition':
      return [{ t: 'def', span, fn: funcDef(n, depth) }];
    case 'class_definition':
      return [{ t: 'class', span, cls: classDef(n, depth) }];
    case 'decorated_definition': {
      const d = field(n, 'definition');
      return d ? stmt(d, depth) : [];
    }
    case 'import_statement':
      return [
        {
          t: 'import',
          span,
          names: n
            .childrenForFieldName('name')
            .filter((c) => c !== null)
            .map(importName),
        },
      ];
    case 'import_from_statement': {
      const module = field(n, 'module_name')?.text ?? '';
      const names = n
        .childrenForFieldName('name')
        .filter((c) => c !== null)
        .map((c) => {
          const i = importName(c);
          return { name: i.module, alias: i.alias };
        });
      return [{ t: 'importfrom', span, module, names }];
    }
    case 'with_statement':
      return [{ t: 'block', span, body: body(field(n, 'body'), depth) }];
    case 'try_statement':
      return [{ t: 'block', span, body: body(field(n, 'body'), depth) }];
    case 'block':
      return [{ t: 'block', span, body: block(n, depth) }];
    case 'pass_statement':
      return [{ t: 'pass', span }];
    case 'break_statement':
      return [{ t: 'break', span }];
    case 'continue_statement':
      return [{ t: 'continue', span }];
    default:
      return [{ t: 'other', span }];
  }
}

function importName(n: PyNode): { module: string; alias?: string } {
  if (n.type === 'aliased_import') return { module: field(n, 'name')?.text ?? '', alias: field(n, 'alias')?.text };
  return { module: n.text };
}

function exprStmt(n: PyNode, depth: number): Stmt {
  const span = spanOf(n);
  if (n.type === 'assignment') {
    // `a = b = c` nests as assignment(left a, right assignment(left b, right c)).
    const targets: Expr[] = [];
    let cur: PyNode = n;
    let d = depth;
    while (cur.type === 'assignment' && d < MAX_DEPTH) {
      targets.push(expr(field(cur, 'left')!, depth + 1));
      const right = field(cur, 'right');
      if (!right) return { t: 'other', span }; // annotation only: `x: int`
      cur = right;
      d++;
    }
    return { t: 'assign', span, targets, value: expr(cur, depth + 1) };
  }
  if (n.type === 'augmented_assignment') {
    const op = field(n, 'operator')?.text.replace('=', '') ?? '+';
    return {
      t: 'augassign',
      span,
      target: expr(field(n, 'left')!, depth + 1),
      op,
      value: expr(field(n, 'right')!, depth + 1),
    };
  }
  return { t: 'expr', span, e: expr(n, depth + 1) };
}

function funcDef(n: PyNode, depth: number): FuncDef {
  const bodyNode = field(n, 'body');
  let cached: Stmt[] | undefined;
  return {
    name: field(n, 'name')?.text ?? '',
    params: paramList(field(n, 'parameters'), depth),
    span: spanOf(n),
    body: () => (cached ??= body(bodyNode, depth)),
  };
}

/** A `lambda`: a function whose body returns its expression. */
function lambdaDef(n: PyNode, depth: number): FuncDef {
  const bodyNode = field(n, 'body');
  const span = spanOf(n);
  let cached: Stmt[] | undefined;
  return {
    name: '<lambda>',
    params: paramList(field(n, 'parameters'), depth),
    span,
    body: () => (cached ??= [{ t: 'return', span, value: expr(bodyNode, depth + 1) }]),
  };
}

function paramList(list: PyNode | null | undefined, depth: number): Param[] {
  const params: Param[] = [];
  let kind: Param['kind'] = 'normal';
  if (!list) return params;
  for (const p of named(list)) {
    switch (p.type) {
      case 'identifier':
        params.push({ name: p.text, kind });
        break;
      case 'typed_parameter': {
        const inner = named(p)[0];
        if (inner?.type === 'list_splat_pattern') {
          params.push({ name: named(inner)[0]?.text ?? '', kind: 'varargs' });
          kind = 'kwonly';
        } else if (inner?.type === 'dictionary_splat_pattern')
          params.push({ name: named(inner)[0]?.text ?? '', kind: 'kwargs' });
        else params.push({ name: inner?.text ?? '', kind });
        break;
      }
      case 'default_parameter':
      case 'typed_default_parameter':
        params.push({ name: field(p, 'name')?.text ?? '', kind, default: expr(field(p, 'value')!, depth + 1) });
        break;
      case 'list_splat_pattern':
        params.push({ name: named(p)[0]?.text ?? '', kind: 'varargs' });
        kind = 'kwonly';
        break;
      case 'dictionary_splat_pattern':
        params.push({ name: named(p)[0]?.text ?? '', kind: 'kwargs' });
        break;
      case 'keyword_separator':
        kind = 'kwonly';
        break;
      case 'positional_separator':
        for (let i = 0; i < params.length; i++)
          if (params[i].kind === 'normal') params[i] = { ...params[i], kind: 'posonly' };
        break;
    }
  }
  return params;
}

function classDef(n: PyNode, depth: number): ClassDef {
  const sup = field(n, 'superclasses');
  const bases = sup
    ? named(sup)
        .filter((c) => c.type !== 'keyword_argument')
        .map((c) => expr(c, depth + 1))
    : [];
  return { name: field(n, 'name')?.text ?? '', bases, span: spanOf(n), body: body(field(n, 'body'), depth) };
}

function args(n: PyNode | null, depth: number): Arg[] {
  if (!n) return [];
  if (n.type === 'generator_expression') return [{ kind: 'pos', value: expr(n, depth) }];
  return named(n).map((c): Arg => {
    switch (c.type) {
      case 'list_splat':
        return { kind: 'star', value: expr(named(c)[0], depth + 1) };
      case 'dictionary_splat':
        return { kind: 'dstar', value: expr(named(c)[0], depth + 1) };
      case 'keyword_argument':
        return { kind: 'kw', name: field(c, 'name')?.text ?? '', value: expr(field(c, 'value')!, depth + 1) };
      default:
        return { kind: 'pos', value: expr(c, depth + 1) };
    }
  });
}

function stringValue(n: PyNode): string | undefined {
  if (n.type === 'concatenated_string') {
    const parts = named(n).map(stringValue);
    return parts.every((p) => p !== undefined) ? parts.join('') : undefined;
  }
  const kids = named(n);
  if (kids.some((k) => k.type === 'interpolation')) return undefined;
  return kids
    .filter((k) => k.type === 'string_content' || k.type === 'escape_sequence')
    .map((k) => k.text)
    .join('');
}

function clauses(n: PyNode, depth: number): Clause[] {
  const out: Clause[] = [];
  for (const c of named(n)) {
    if (c.type === 'for_in_clause')
      out.push({ kind: 'for', target: expr(field(c, 'left')!, depth + 1), iter: expr(field(c, 'right')!, depth + 1) });
    else if (c.type === 'if_clause') out.push({ kind: 'if', test: expr(named(c)[0], depth + 1) });
  }
  return out;
}

/** Convert one expression node. */
export function expr(n: PyNode | null | undefined, depth: number): Expr {
  if (!n)
    return {
      t: 'unsupported',
      what: 'missing expression',
      span: { start: 0, end: 0, line: 0, col: 0, endLine: 0, endCol: 0 },
    };
  const span = spanOf(n);
  if (depth > MAX_DEPTH) return { t: 'unsupported', what: 'expression nested too deeply', span };
  const d = depth + 1;
  switch (n.type) {
    case 'identifier':
      return { t: 'name', id: n.text, span };
    case 'integer': {
      const v = Number(n.text.replace(/_/g, '').replace(/[lL]$/, ''));
      return Number.isSafeInteger(v) ? { t: 'int', v, span } : { t: 'unsupported', what: `integer ${n.text}`, span };
    }
    case 'float':
      return { t: 'float', v: Number(n.text.replace(/_/g, '')), span };
    case 'string':
    case 'concatenated_string': {
      const v = stringValue(n);
      return v === undefined ? { t: 'unsupported', what: 'f-string', span } : { t: 'str', v, span };
    }
    case 'true':
    case 'false':
      return { t: 'bool', v: n.type === 'true', span };
    case 'none':
      return { t: 'none', span };
    case 'tuple':
    case 'expression_list':
    case 'pattern_list':
    case 'tuple_pattern':
      return { t: 'tuple', items: named(n).map((c) => expr(c, d)), span };
    case 'list':
    case 'list_pattern':
      return { t: 'list', items: named(n).map((c) => expr(c, d)), span };
    case 'list_splat':
    case 'list_splat_pattern':
      return { t: 'starred', value: expr(named(n)[0], d), span };
    case 'parenthesized_expression': {
      const inner = named(n)[0];
      return inner ? expr(inner, d) : { t: 'tuple', items: [], span };
    }
    case 'dictionary': {
      const pairs: [Expr, Expr][] = [];
      const splats: Expr[] = [];
      for (const c of named(n)) {
        if (c.type === 'pair') pairs.push([expr(field(c, 'key'), d), expr(field(c, 'value'), d)]);
        else if (c.type === 'dictionary_splat') splats.push(expr(named(c)[0], d));
      }
      return { t: 'dict', pairs, splats, span };
    }
    case 'attribute':
      return { t: 'attr', obj: expr(field(n, 'object'), d), name: field(n, 'attribute')?.text ?? '', span };
    case 'call':
      return { t: 'call', fn: expr(field(n, 'function'), d), args: args(field(n, 'arguments'), d), span };
    case 'binary_operator':
      return {
        t: 'bin',
        op: field(n, 'operator')?.text ?? '?',
        l: expr(field(n, 'left'), d),
        r: expr(field(n, 'right'), d),
        span,
      };
    case 'unary_operator':
      return { t: 'unary', op: field(n, 'operator')?.text ?? '?', x: expr(field(n, 'argument'), d), span };
    case 'boolean_operator':
      return {
        t: 'boolop',
        op: field(n, 'operator')?.text === 'or' ? 'or' : 'and',
        l: expr(field(n, 'left'), d),
        r: expr(field(n, 'right'), d),
        span,
      };
    case 'not_operator':
      return { t: 'not', x: expr(field(n, 'argument'), d), span };
    case 'comparison_operator': {
      const ops: string[] = [];
      const operands: Expr[] = [];
      for (const c of n.children) {
        if (!c) continue;
        if (c.isNamed && c.type !== 'comment') operands.push(expr(c, d));
        else if (c.type !== '(' && c.type !== ')') {
          // `not in` and `is not` are two tokens.
          if (
            (c.type === 'in' && ops.at(-1) === 'not' && ops.length === operands.length) ||
            (c.type === 'not' && ops.at(-1) === 'is' && ops.length === operands.length)
          )
            ops[ops.length - 1] += ' ' + c.type;
          else ops.push(c.type);
        }
      }
      return { t: 'cmp', ops, operands, span };
    }
    case 'conditional_expression': {
      const [body, test, orelse] = named(n);
      return { t: 'cond', body: expr(body, d), test: expr(test, d), orelse: expr(orelse, d), span };
    }
    case 'subscript': {
      const subs = n.childrenForFieldName('subscript').filter((c) => c !== null);
      const index =
        subs.length === 1 ? expr(subs[0], d) : { t: 'tuple' as const, items: subs.map((c) => expr(c, d)), span };
      return { t: 'subscript', obj: expr(field(n, 'value'), d), index, span };
    }
    case 'slice': {
      // Children: [lo] ':' [hi] [':' [step]]; place expressions by the colons before them.
      const parts: (Expr | undefined)[] = [undefined, undefined, undefined];
      let slot = 0;
      for (const c of n.children) {
        if (!c) continue;
        if (c.type === ':') slot++;
        else if (c.isNamed) parts[slot] = expr(c, d);
      }
      return { t: 'slice', lo: parts[0], hi: parts[1], step: parts[2], span };
    }
    case 'list_comprehension':
    case 'generator_expression':
    case 'set_comprehension':
      return {
        t: 'comp',
        kind: n.type === 'list_comprehension' ? 'list' : n.type === 'set_comprehension' ? 'set' : 'gen',
        elt: expr(field(n, 'body'), d),
        clauses: clauses(n, d),
        span,
      };
    case 'keyword_argument':
      return expr(field(n, 'value'), d);
    case 'lambda':
      return { t: 'lambda', fn: lambdaDef(n, d), span };
    default:
      return { t: 'unsupported', what: n.type, span };
  }
}
