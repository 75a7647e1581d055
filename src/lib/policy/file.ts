// Reading a policy file: YAML (or JSON, which YAML reads too) parsed with
// `yaml`, its structure checked with a JSON Schema (ajv), each rule then
// checked whole by the library's own rule checks (encodeRule) with the
// syscall table and the header's limits. The first mistake is a
// PolicyError naming the file, the line and the field; nothing is applied
// from a file that has one.
import { readFileSync } from 'node:fs';
import type { Ajv, ErrorObject } from 'ajv';
import type { Document, LineCounter, Node } from 'yaml';
import type { Binding } from '../binding.js';
import { loadBinding } from '../binding.js';
import { lazy } from '../lazy.js';
import { describeErrno, PolicyError, UsageError } from '../errors.js';
import { FILE_OPS, RULE_ACTIONS, encodeRule, resolveSyscalls, type RuleContext } from '../rules.js';
import { need } from '../records.js';
import { MODES, RECORD_MODES } from '../status.js';
import { closestNames, SyscallTable } from '../syscalls.js';
import { parseErrno } from '../monitor.js';
import {
  normalDocument, POLICY_API_VERSION, POLICY_KIND, POLICY_RULE_KEYS, TAG_HASH_DIGITS,
  type PolicyDocument, type PolicyRule,
} from './document.js';

/** What checking a policy needs: the header's numbers and the syscall table (the addon's, no module). */
export interface PolicyContext {
  constants: Record<string, number>;
  syscalls: SyscallTable;
}

export function policyContext(binding: Pick<Binding, 'constants' | 'syscalls'> = loadBinding()): PolicyContext {
  return { constants: binding.constants, syscalls: new SyscallTable(binding.syscalls) };
}

const U32_MAX = 0xffffffff;
const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]*$';

/** The longest policy name that fits the module's tag with its hash ("NAME sha256:…"). */
export function maxPolicyName(constants: Record<string, number>): number {
  return need(constants, 'POLICY_TAG_LEN') - 1 - ' sha256:'.length - TAG_HASH_DIGITS;
}

/** The JSON Schema of a policy document (the file's shape; rules are checked further by the library). */
export function policySchema(constants: Record<string, number>): object {
  const id = { type: 'integer', minimum: 0, maximum: U32_MAX };
  const idSelector = {
    description: `an id from 0 to ${U32_MAX}, or { min, max }`,
    anyOf: [id, { type: 'object', required: ['min', 'max'], additionalProperties: false, properties: { min: id, max: id } }],
  };
  const textSelector = (what: string) => ({
    description: `${what}, or { prefix }`,
    anyOf: [
      { type: 'string' },
      { type: 'object', required: ['prefix'], additionalProperties: false, properties: { prefix: { type: 'string' } } },
    ],
  });
  const numberOrName = (what: string) => ({ description: what, anyOf: [{ type: 'string' }, { type: 'integer' }] });
  const ruleProperties: Record<(typeof POLICY_RULE_KEYS)[number], object> = {
    name: { type: 'string' },
    action: { enum: RULE_ACTIONS },
    syscalls: { type: 'array', minItems: 1, items: numberOrName('a syscall name, @family or number') },
    file: { type: 'string' },
    fileOps: { type: 'array', minItems: 1, items: { enum: FILE_OPS } },
    errno: numberOrName('an errno name or number'),
    enforce: { type: 'boolean' },
    force: { type: 'boolean' },
    record: { enum: RECORD_MODES },
    failedOnly: { type: 'boolean' },
    uid: idSelector,
    euid: idSelector,
    auid: idSelector,
    gid: idSelector,
    comm: textSelector('a process name'),
    exe: { type: 'string' },
    cgroup: { type: 'string' },
    path: textSelector('a path'),
  };
  return {
    type: 'object',
    required: ['apiVersion', 'kind', 'spec'],
    additionalProperties: false,
    properties: {
      apiVersion: { const: POLICY_API_VERSION },
      kind: { const: POLICY_KIND },
      metadata: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: { name: { type: 'string', pattern: NAME_PATTERN, maxLength: maxPolicyName(constants) } },
      },
      spec: {
        type: 'object',
        required: ['mode'],
        additionalProperties: false,
        properties: {
          mode: { enum: MODES },
          exits: { type: 'boolean' },
          rules: {
            type: 'array',
            maxItems: need(constants, 'MAX_RULES'),
            items: { type: 'object', required: ['name', 'action'], additionalProperties: false, properties: ruleProperties },
          },
        },
      },
    },
  };
}

const yaml = lazy<typeof import('yaml')>('yaml');
const ajv = lazy<typeof import('ajv')>('ajv');

const validators = new WeakMap<object, ReturnType<Ajv['compile']>>();

function validatorFor(constants: Record<string, number>): ReturnType<Ajv['compile']> {
  let v = validators.get(constants);
  if (!v) {
    v = new (ajv().Ajv)({ allErrors: true, verbose: true, strict: true }).compile(policySchema(constants));
    validators.set(constants, v);
  }
  return v;
}

/** Reads and checks a policy file; a PolicyError (a UsageError: exit 2) names the first mistake. */
export function readPolicyFile(path: string, ctx: PolicyContext = policyContext()): PolicyDocument {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code ? describeErrno({ code: err.code, errno: Math.abs(err.errno ?? 0) }) : String(e);
    throw new PolicyError({ file: path, line: 0, field: '' }, `cannot read the policy file: ${why}`, { cause: e });
  }
  return parsePolicy(text, path, ctx);
}

/** A policy document from its text; file names it in errors. */
export function parsePolicy(text: string, file: string, ctx: PolicyContext): PolicyDocument {
  const lines = new (yaml().LineCounter)();
  const doc = yaml().parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const pos = syntax.linePos?.[0];
    const reason =
      syntax.code === 'MULTIPLE_DOCS'
        ? 'a policy file holds one YAML document; a second starts here'
        : `YAML syntax: ${syntax.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`;
    throw new PolicyError({ file, line: pos?.line ?? 0, field: '' }, reason);
  }
  const at = new Locator(doc, lines, file);
  const value: unknown = doc.toJS();
  const validate = validatorFor(ctx.constants);
  if (!validate(value)) throw at.schemaError(validate.errors ?? [], ctx.constants);
  const input = value as PolicyDocument;
  checkRules(input.spec.rules ?? [], at, ctx);
  return normalDocument({ ...input, spec: { ...input.spec, rules: input.spec.rules ?? [] } }, ctx.syscalls);
}

/** The library's checks of each rule, each mistake placed on its field. */
function checkRules(rules: readonly PolicyRule[], at: Locator, ctx: PolicyContext): void {
  const ruleCtx: RuleContext = {
    constants: ctx.constants,
    syscalls: ctx.syscalls,
    parseErrno: (v) => parseErrno(v, need(ctx.constants, 'MAX_ERRNO')),
    checkPids: () => {
      throw new UsageError('a policy has no pid sets');
    },
  };
  const firstAt = new Map<string, number>();
  rules.forEach((rule, i) => {
    const path = ['spec', 'rules', i];
    const where = (...more: (string | number)[]) => [...path, ...more];
    const first = firstAt.get(rule.name);
    if (first !== undefined) {
      throw at.error(where('name'), `a second rule named ${rule.name} (the first is at line ${at.line(['spec', 'rules', first])})`);
    }
    firstAt.set(rule.name, i);
    const prefix = `rule ${rule.name}: `;
    const reason = (e: unknown): string => {
      if (!(e instanceof UsageError)) throw e;
      return e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
    };
    (rule.syscalls ?? []).forEach((spec, j) => {
      try {
        resolveSyscalls(rule.name, [spec], ctx.syscalls, need(ctx.constants, 'NR_LIMIT'));
      } catch (e) {
        throw at.error(where('syscalls', j), reason(e));
      }
    });
    if (rule.errno !== undefined) {
      try {
        ruleCtx.parseErrno(rule.errno);
      } catch (e) {
        throw at.error(where('errno'), reason(e));
      }
    }
    for (const key of ['uid', 'euid', 'auid', 'gid'] as const) {
      const range = rule[key];
      if (typeof range === 'object' && range.min > range.max) {
        throw at.error(where(key), `the range ${range.min}-${range.max} is empty (min is above max)`);
      }
    }
    try {
      encodeRule(rule, 'policy', ruleCtx);
    } catch (e) {
      const text = reason(e);
      throw at.error(where(...fieldNamed(text, rule)), text);
    }
  });
}

type Path = readonly (string | number)[];

/**
 * The field of rule a message of the library's is about: the one it starts
 * with ("exe '…' is not an absolute path"), else the last it names ("a
 * file rule decides accesses to its file, not syscalls"); none: the rule.
 */
function fieldNamed(message: string, rule: PolicyRule): string[] {
  const named = POLICY_RULE_KEYS.filter((k) => rule[k] !== undefined)
    .map((k) => ({ k, at: [...message.matchAll(new RegExp(`\\b${k}\\b`, 'g'))].map((m) => m.index) }))
    .filter(({ at }) => at.length > 0);
  const first = named.find(({ at }) => at[0] === 0);
  if (first) return [first.k];
  const last = named.sort((a, b) => Math.max(...b.at) - Math.max(...a.at))[0];
  return last ? [last.k] : [];
}

/** Where a path of the document is in the file, and errors placed there. */
class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly file: string,
  ) {}

  /** The line of the node at path, or of the nearest node above it that exists. */
  line(path: Path, key?: string): number {
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n), true) as Node | undefined;
      if (n === path.length && key !== undefined && yaml().isMap(node)) {
        const pair = node.items.find((p) => yaml().isPair(p) && (yaml().isScalar(p.key) ? p.key.value : p.key) === key);
        const keyNode = pair?.key as Node | undefined;
        if (keyNode?.range) return this.lines.linePos(keyNode.range[0]).line;
      }
      const range = n === 0 ? this.doc.contents?.range : node?.range;
      if (range) return this.lines.linePos(range[0]).line;
    }
    return 1;
  }

  error(path: Path, reason: string, key?: string): PolicyError {
    const full = key === undefined ? path : [...path, key];
    return new PolicyError({ file: this.file, line: this.line(path, key), field: fieldName(full) }, reason);
  }

  /** The one schema error to show: an unknown field first (it often explains a missing one), then the first in the file. */
  schemaError(errors: readonly ErrorObject[], constants: Record<string, number>): PolicyError {
    const shown = errors.filter((e) => !e.schemaPath.includes('/anyOf/')).map((e) => alternativeOf(e, errors));
    const rank = (e: ErrorObject): number => (e.keyword === 'additionalProperties' ? 0 : e.keyword === 'required' ? 2 : 1);
    const placed = shown.map((e) => ({ e, line: this.line(pathOf(e), keyOf(e)) }));
    placed.sort((a, b) => rank(a.e) - rank(b.e) || a.line - b.line);
    const { e } = placed[0]!;
    const path = pathOf(e);
    const last = path.at(-1);
    // A missing field is shown where its mapping is named ("spec:"), not at the mapping's first field.
    if (e.keyword === 'required' && typeof last === 'string') {
      const line = this.line(path.slice(0, -1), last);
      return new PolicyError({ file: this.file, line, field: fieldName([...path, keyOf(e)!]) }, reasonOf(e, constants));
    }
    return this.error(path, reasonOf(e, constants), keyOf(e));
  }
}

/**
 * For a value that matched none of the alternatives (anyOf), the error of
 * the alternative of the value's own type, which says best what is wrong
 * with it ({ min } without max); the anyOf error itself when no
 * alternative has its type.
 */
function alternativeOf(e: ErrorObject, all: readonly ErrorObject[]): ErrorObject {
  if (e.keyword !== 'anyOf') return e;
  const kind = Array.isArray(e.data) ? 'array' : e.data === null ? 'null' : Number.isInteger(e.data) ? 'integer' : typeof e.data;
  const i = (e.schema as { type?: string }[]).findIndex((b) => b.type === kind);
  if (i < 0) return e;
  const inner = all.find((x) => x.schemaPath.startsWith(`${e.schemaPath}/${i}/`));
  return inner ? alternativeOf(inner, all) : e;
}

/** The instance path of an error as keys and indexes. */
function pathOf(e: ErrorObject): Path {
  if (e.instancePath === '') return [];
  return e.instancePath.slice(1).split('/').map((s) => {
    const key = s.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(key) ? Number(key) : key;
  });
}

/** The key an error is about, below its instance path (an unknown or missing field). */
function keyOf(e: ErrorObject): string | undefined {
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties') return String(params['additionalProperty']);
  if (e.keyword === 'required') return String(params['missingProperty']);
  return undefined;
}

/** "spec.rules[2].uid" */
function fieldName(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'nothing (null)';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v === 'number' ? 'the number' : typeof v} ${String(v)}`;
}

const TYPE_WORDS: Readonly<Record<string, string>> = {
  object: 'a mapping (key: value)',
  array: 'a list',
  string: 'a string',
  integer: 'a whole number',
  boolean: 'true or false',
};

function reasonOf(e: ErrorObject, constants: Record<string, number>): string {
  const params = e.params as Record<string, unknown>;
  const schema = e.parentSchema as { description?: string; properties?: Record<string, unknown> } | undefined;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(params['additionalProperty']);
      if (key === 'pids' || key === 'tree') {
        return 'a policy names what exists at any time: no pid sets or process trees (add such rules by hand)';
      }
      const near = closestNames(key, Object.keys(schema?.properties ?? {}), 1);
      return `unknown field${near.length ? `; did you mean '${near[0]}'?` : ` (fields: ${Object.keys(schema?.properties ?? {}).join(', ')})`}`;
    }
    case 'required':
      return 'missing (required)';
    case 'type':
      return `must be ${TYPE_WORDS[String(params['type'])] ?? String(params['type'])}, got ${describe(e.data)}`;
    case 'const':
      return `must be '${String(params['allowedValue'])}', got ${describe(e.data)}`;
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[]).map(String);
      const near = typeof e.data === 'string' ? closestNames(e.data, allowed, 1) : [];
      return `${describe(e.data)} is not one of ${allowed.join(', ')}${near.length ? `; did you mean ${near[0]}?` : ''}`;
    }
    case 'anyOf':
      return `must be ${schema?.description ?? 'something else'}, got ${describe(e.data)}`;
    case 'minimum':
    case 'maximum':
      return `must be from 0 to ${U32_MAX}, got ${describe(e.data)}`;
    case 'minItems':
      return 'must not be empty';
    case 'maxItems':
      return `at most ${String(params['limit'])} rules, got ${(e.data as unknown[]).length}`;
    case 'pattern':
    case 'maxLength':
      return `a policy name is letters, digits, '.', '_' and '-' (not first), at most ${maxPolicyName(constants)} characters; got ${describe(e.data)}`;
    default:
      return e.message ?? e.keyword;
  }
}
