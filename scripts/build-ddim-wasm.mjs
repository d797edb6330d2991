// Assembles packages/shared/src/ddim-kernel/ddim.wat into ddim-wasm.ts (the module's bytes, base64).
//   node scripts/build-ddim-wasm.mjs            writes ddim-wasm.ts
//   node scripts/build-ddim-wasm.mjs --stdout   prints it instead (the drift test compares the two)
// A deliberately tiny assembler without dependencies: one memory, functions with params, a result and
// locals, flat (unfolded) instructions from OPS. Anything else is an error rather than a guess.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DIR = fileURLToPath(new URL('../packages/shared/src/ddim-kernel/', import.meta.url));
const SOURCE = `${DIR}ddim.wat`;
const TARGET = `${DIR}ddim-wasm.ts`;

const TYPES = { i32: 0x7f, f32: 0x7d, v128: 0x7b };
const SIMD = 0xfd;
// mnemonic → [opcode bytes, immediate kind]
const OPS = {
  block: [[0x02], 'label'],
  loop: [[0x03], 'label'],
  end: [[0x0b], 'end'],
  br: [[0x0c], 'depth'],
  br_if: [[0x0d], 'depth'],
  'local.get': [[0x20], 'local'],
  'local.set': [[0x21], 'local'],
  'i32.const': [[0x41], 'i32'],
  'f32.const': [[0x43], 'f32'],
  'i32.ge_u': [[0x4f]],
  'i32.add': [[0x6a]],
  'i32.shl': [[0x74]],
  'v128.load': [[SIMD, ...uleb(0x00)], 'memarg'],
  'v128.store': [[SIMD, ...uleb(0x0b)], 'memarg'],
  'i32x4.splat': [[SIMD, ...uleb(0x11)]],
  'f32x4.splat': [[SIMD, ...uleb(0x13)]],
  'f32x4.lt': [[SIMD, ...uleb(0x43)]],
  'v128.and': [[SIMD, ...uleb(0x4e)]],
  'i32x4.all_true': [[SIMD, ...uleb(0xa3)]],
  'f32x4.abs': [[SIMD, ...uleb(0xe0)]],
  'f32x4.add': [[SIMD, ...uleb(0xe4)]],
  'f32x4.sub': [[SIMD, ...uleb(0xe5)]],
  'f32x4.mul': [[SIMD, ...uleb(0xe6)]],
  'f32x4.div': [[SIMD, ...uleb(0xe7)]],
  'f32x4.pmin': [[SIMD, ...uleb(0xea)]],
  'f32x4.pmax': [[SIMD, ...uleb(0xeb)]],
};

function uleb(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

function sleb(n) {
  const out = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

const name = (s) => [...uleb(Buffer.byteLength(s)), ...Buffer.from(s)];
const vec = (items) => [...uleb(items.length), ...items.flat()];
const section = (id, body) => [id, ...uleb(body.length), ...body];

/** S-expressions: lists of atoms (strings) and { str } for quoted strings; `;;` comments dropped. */
function parse(text) {
  const tokens = text.replace(/;;.*$/gm, '').match(/\(|\)|"[^"]*"|[^\s()"]+/g) ?? [];
  const stack = [[]];
  for (const t of tokens) {
    if (t === '(') stack.push([]);
    else if (t === ')') {
      const list = stack.pop();
      if (stack.length === 0) throw new SyntaxError('unbalanced )');
      stack.at(-1).push(list);
    } else stack.at(-1).push(t.startsWith('"') ? { str: t.slice(1, -1) } : t);
  }
  if (stack.length !== 1 || stack[0].length !== 1) throw new SyntaxError('expected one (module …)');
  return stack[0][0];
}

function typeOf(t) {
  if (!(t in TYPES)) throw new SyntaxError(`unsupported value type ${t}`);
  return TYPES[t];
}

function assembleFunc(fields, index, exports) {
  const names = new Map();
  const params = [];
  const results = [];
  const locals = [];
  const body = [];
  for (const f of fields) {
    if (!Array.isArray(f)) {
      body.push(f);
      continue;
    }
    const [head, ...rest] = f;
    if (head === 'export') exports.push([...name(rest[0].str), 0x00, ...uleb(index)]);
    else if (head === 'param' || head === 'local') {
      names.set(rest[0], names.size);
      (head === 'param' ? params : locals).push(typeOf(rest[1]));
    } else if (head === 'result') results.push(...rest.map(typeOf));
    else throw new SyntaxError(`unsupported func field (${head} …); instructions must be flat`);
  }
  const code = [];
  const labels = [];
  for (let i = 0; i < body.length; i++) {
    const op = OPS[body[i]];
    if (!op) throw new SyntaxError(`unsupported instruction ${body[i]}`);
    const [bytes, imm] = op;
    code.push(...bytes);
    const arg = () => body[++i];
    if (imm === 'label') {
      labels.push(body[i + 1]?.startsWith('$') ? arg() : null);
      code.push(0x40); // empty block type
    } else if (imm === 'end') {
      if (labels.length === 0) throw new SyntaxError('end without block or loop');
      labels.pop();
    } else if (imm === 'depth') {
      const depth = labels.length - 1 - labels.lastIndexOf(arg());
      if (depth >= labels.length) throw new SyntaxError(`unknown label ${body[i]}`);
      code.push(...uleb(depth));
    } else if (imm === 'local') {
      const idx = names.get(arg());
      if (idx === undefined) throw new SyntaxError(`unknown local ${body[i]}`);
      code.push(...uleb(idx));
    } else if (imm === 'i32') code.push(...sleb(Number(arg())));
    else if (imm === 'f32') {
      const text = arg();
      const v = { inf: Infinity, '-inf': -Infinity }[text] ?? Number(text);
      if (Number.isNaN(v)) throw new SyntaxError(`bad f32 constant ${text}`);
      const b = Buffer.alloc(4);
      b.writeFloatLE(v);
      code.push(...b);
    } else if (imm === 'memarg') code.push(4, 0); // align 2^4 = 16 bytes, offset 0
  }
  if (labels.length !== 0) throw new SyntaxError('block or loop without end');
  const groups = []; // runs of equal local types: [count, type]
  for (const t of locals) {
    if (groups.at(-1)?.[1] === t) groups.at(-1)[0]++;
    else groups.push([1, t]);
  }
  const fn = [...vec(groups.map(([n, t]) => [...uleb(n), t])), ...code, 0x0b];
  return {
    type: [0x60, ...vec(params.map((t) => [t])), ...vec(results.map((t) => [t]))],
    code: [...uleb(fn.length), ...fn],
  };
}

/** The wasm binary of a WAT module written in the subset above. */
export function assemble(text) {
  const [head, ...fields] = parse(text);
  if (head !== 'module') throw new SyntaxError('expected (module …)');
  const types = [];
  const codes = [];
  const exports = [];
  const memories = [];
  for (const [kind, ...rest] of fields) {
    if (kind === 'func') {
      const { type, code } = assembleFunc(rest, codes.length, exports);
      types.push(type);
      codes.push(code);
    } else if (kind === 'memory') {
      const pages = rest.find((r) => !Array.isArray(r));
      const exp = rest.find((r) => Array.isArray(r) && r[0] === 'export');
      if (exp) exports.push([...name(exp[1].str), 0x02, ...uleb(memories.length)]);
      memories.push([0x00, ...uleb(Number(pages))]); // minimum only
    } else throw new SyntaxError(`unsupported module field (${kind} …)`);
  }
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(types)),
    ...section(3, vec(types.map((_, i) => uleb(i)))),
    ...section(5, vec(memories)),
    ...section(7, vec(exports)),
    ...section(10, vec(codes)),
  ]);
}

export function moduleSource(bytes) {
  return [
    '// Generated by scripts/build-ddim-wasm.mjs from ddim.wat: do not edit (a test checks that they agree).',
    '',
    '/** The DDIM kernel (WebAssembly with SIMD), base64. */',
    'export const DDIM_WASM_BASE64 =', // the line break biome gives a string this long
    `  '${Buffer.from(bytes).toString('base64')}';`,
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const source = moduleSource(assemble(readFileSync(SOURCE, 'utf8')));
  if (process.argv.includes('--stdout')) process.stdout.write(source);
  else writeFileSync(TARGET, source);
}
