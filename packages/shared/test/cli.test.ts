/**
 * The `diffae` CLI on the tiny parity bundle: every command once as a child process with small K, the help
 * texts, and the bad-input paths (exit code 2 with a one-line message). Numeric outputs are compared with
 * the Python reference loosely (test/parity measures the exact agreement); the point here is that the CLI
 * wires inputs, step counts and outputs correctly. Some extra runs use `runCli` in this process (what
 * bin/diffae.mjs calls) to save process starts on a busy machine.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../src/image/decode.ts';
import { COMMANDS, runCli } from '../src/node/cli/main.ts';
import { readNpyTensor } from '../src/npy.ts';
import type { Tensor } from '../src/tensor.ts';
import {
  buildParityFixture,
  type ParityFixture,
  parityFixtureMissing,
  REPO_ROOT,
} from './helpers/parity-fixture.ts';

const BIN = join(REPO_ROOT, 'packages/shared/bin/diffae.mjs');
const PHOTOS = '/work/shared/data/photos';
const PHOTO = join(PHOTOS, 'imgs_align_sandy.png');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** argv from a template: literal text splits on whitespace, every ${value} stays one argument. */
function argv(strings: TemplateStringsArray, ...values: unknown[]): string[] {
  const out: string[] = [];
  strings.forEach((s, i) => {
    out.push(...s.split(/\s+/).filter((w) => w.length > 0));
    if (i < values.length) out.push(String(values[i]));
  });
  return out;
}

function child(args: string[]): Promise<Run> {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    p.on('error', fail);
    p.on('close', (code) => done({ code, stdout, stderr }));
  });
}

async function inProcess(args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const err = {
    write: (text: string) => {
      stderr += text;
      return true;
    },
  };
  const code = await runCli(args, { out: (line) => (stdout += `${line}\n`), err });
  return { code, stdout, stderr };
}

function succeeded(args: string[], r: Run): Run {
  if (r.code !== 0) throw new Error(`diffae ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

const ok = async (args: string[]) => succeeded(args, await child(args));
const okHere = async (args: string[]) => succeeded(args, await inProcess(args));

function maxAbs(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let worst = 0;
  for (let i = 0; i < a.data.length; i++) worst = Math.max(worst, Math.abs(a.data[i] - b.data[i]));
  return worst;
}

const npy = (path: string) => readNpyTensor(new Uint8Array(readFileSync(path)));
const png = (path: string) => decodeImage(new Uint8Array(readFileSync(path)));

const missing = parityFixtureMissing();
if (missing) console.warn(`skipping CLI tests: ${missing}`);

describe.skipIf(missing !== undefined)('diffae CLI', () => {
  let fx: ParityFixture;
  let out = '';
  let B = '';
  const o = (name: string) => join(out, name);
  const a = (rel: string) => fx.path(rel);

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'diffae-cli-'));
    fx = await buildParityFixture();
    B = fx.bundleDir;
  });
  afterAll(() => {
    fx?.remove();
    if (out) rmSync(out, { recursive: true, force: true });
  });

  it.concurrent('info summarises the bundle', async () => {
    const r = await ok(argv`info --bundle ${B}`);
    expect(r.stdout).toContain('parity-tiny@0.0.1');
    expect(r.stdout).toMatch(/z width\s+32/);
    expect(r.stdout).toMatch(/image size\s+32×32/);
    expect(r.stdout).toContain('Eyeglasses');
    expect(r.stdout).toMatch(/unet\s+unet\.onnx/);
    expect(r.stdout).toMatch(/preview\s+inversion 2, render 2/);
    const json = JSON.parse((await okHere(argv`info --bundle ${fx.fp16BundleDir} --json`)).stdout);
    expect(json.weightsDtype).toBe('float16');
  });

  it.concurrent('encode (web runtime): x.npy → the reference z', async () => {
    await ok(argv`encode --bundle ${B} --runtime web ${a('arrays/x.npy')} --out ${o('enc/z.npy')}`);
    expect(maxAbs(npy(o('enc/z.npy')), fx.array('arrays/z.npy'))).toBeLessThan(1e-4);
  });

  it.concurrent('invert: --z and K=2 give the reference x_T', async () => {
    const ref = fx.cases.inversion.find((c: { K: number }) => c.K === 2);
    await ok(
      argv`invert --bundle ${B} ${a(ref.x0)} --z ${a(ref.z)} --steps 2 --out-xt ${o('inv/xT.npy')} --out-z ${o('inv/z.npy')}`,
    );
    expect(maxAbs(npy(o('inv/xT.npy')), fx.array(ref.xT))).toBeLessThan(1e-3);
    expect(maxAbs(npy(o('inv/z.npy')), fx.array(ref.z))).toBe(0);
  });

  it.concurrent('render: --xt with K=2 gives the reference image; two rows → out-0/out-1.png', async () => {
    const ref = fx.cases.render.find((c: { K: number; clip: boolean }) => c.K === 2 && c.clip);
    await ok(
      argv`render --bundle ${B} --z ${a(ref.z)} --xt ${a(ref.xT)} --steps 2 --out ${o('render/r.png')} --out-npy ${o('render/r.npy')}`,
    );
    expect(maxAbs(npy(o('render/r.npy')), fx.array(ref.image))).toBeLessThan(1e-3);
    for (const f of ['r-0.png', 'r-1.png'])
      expect(png(o(`render/${f}`))).toMatchObject({ width: 32, height: 32 });
  });

  it.concurrent('render: --seed draws x_T deterministically (kept with --save-latents)', async () => {
    await ok(argv`render --bundle ${B} --z ${a('arrays/z.npy')} --seed 5 --steps 2 --out-dir ${o('seed')}
      --save-latents ${o('seed')}`);
    const again = await okHere(
      argv`render --bundle ${B} --z ${a('arrays/z.npy')} --xt ${o('seed/xT.npy')} --steps 2 --out-dir ${o('seed2')}`,
    );
    expect(again.stdout).toContain('render-1.png');
    expect(readFileSync(o('seed/render-1.png'))).toEqual(readFileSync(o('seed2/render-1.png')));
  });

  it.concurrent('reconstruct: a photo → image and codes', async () => {
    await ok(argv`reconstruct --bundle ${B} ${PHOTO} --inversion-steps 2 --render-steps 2 --out ${o('rec/r.png')}
      --save-latents ${o('rec')}`);
    expect(npy(o('rec/z.npy')).shape).toEqual([1, 32]);
    expect(npy(o('rec/xT.npy')).shape).toEqual([1, 3, 32, 32]);
    expect(png(o('rec/r.png')).width).toBe(32);
  });

  it.concurrent("manipulate: codes + two edits give the reference z'; Beard=a is No_Beard=-a", async () => {
    const m = fx.cases.manipulate;
    const edits = m.attributes.flatMap((e: { name: string; amplitude: number }) => [
      '--edit',
      `${e.name}=${e.amplitude}`,
    ]);
    await ok([
      ...argv`manipulate --bundle ${B} --z ${a(m.z)} --xt ${a(m.render.xT)} --render-steps 2`,
      ...edits,
      ...argv`--out-dir ${o('man')} --save-latents ${o('man')}`,
    ]);
    expect(maxAbs(npy(o('man/z.npy')), fx.array(m.zManipulated))).toBeLessThan(1e-5);
    expect(maxAbs(npy(o('man/z-source.npy')), fx.array(m.z))).toBe(0);
    for (const [edit, dir] of [
      ['Beard=0.2', 'man-b'],
      ['No_Beard=-0.2', 'man-nb'],
    ]) {
      await okHere(argv`manipulate --bundle ${B} --z ${a(m.z)} --xt ${a(m.render.xT)} --edit ${edit}
        --render-steps 2 --out-dir ${o(dir)} --save-latents ${o(dir)}`);
    }
    expect(maxAbs(npy(o('man-b/z.npy')), npy(o('man-nb/z.npy')))).toBe(0);
    expect(maxAbs(npy(o('man-b/z.npy')), fx.array(m.z))).toBeGreaterThan(1e-3);
  });

  it.concurrent('manipulate: from a photo, comma-separated edits', async () => {
    await ok(argv`manipulate --bundle ${B} ${PHOTO} --edit Smiling=0.3,Young=-0.1 --inversion-steps 2
      --render-steps 2 --out ${o('man-img/e.png')}`);
    expect(png(o('man-img/e.png')).width).toBe(32);
  });

  it.concurrent('interpolate: frames, GIF and the interpolated codes', async () => {
    const [pa, pb] = [join(PHOTOS, 'imgs_interpolate_1_a.png'), join(PHOTOS, 'imgs_interpolate_1_b.png')];
    await ok(argv`interpolate --bundle ${B} ${pa} ${pb} --frames 3 --inversion-steps 2 --render-steps 2
      --out-dir ${o('int')} --gif ${o('int/anim.gif')} --save-latents ${o('int')}`);
    for (const f of ['frame-0.png', 'frame-1.png', 'frame-2.png'])
      expect(existsSync(o(`int/${f}`))).toBe(true);
    expect(readFileSync(o('int/anim.gif')).subarray(0, 6).toString('latin1')).toBe('GIF89a');
    const z = npy(o('int/z.npy'));
    expect(z.shape).toEqual([3, 32]);
    // α = 0.5 for the middle frame: its z is the mean of the end frames' z.
    for (let i = 0; i < 32; i++) expect(z.data[32 + i]).toBeCloseTo((z.data[i] + z.data[64 + i]) / 2, 5);
  });

  it.concurrent('vary: N variations and mean.png', async () => {
    await ok(argv`vary --bundle ${B} ${PHOTO} --n 2 --seed 3 --steps 2 --out-dir ${o('vary')}
      --out-npy ${o('vary/v.npy')}`);
    const v = npy(o('vary/v.npy'));
    expect(v.shape).toEqual([2, 3, 32, 32]);
    const row = (i: number) => ({ data: v.data.subarray(i * 3072, (i + 1) * 3072), shape: [3072] });
    expect(maxAbs(row(0), row(1))).toBeGreaterThan(0);
    for (const f of ['variation-0.png', 'variation-1.png', 'mean.png'])
      expect(existsSync(o(`vary/${f}`))).toBe(true);
  });

  it.concurrent('sample: latent DDIM + render', async () => {
    await ok(argv`sample --bundle ${B} --n 2 --seed 1 --steps 2 --latent-steps 2 --out-dir ${o('sample')}
      --save-latents ${o('sample')}`);
    for (const f of ['sample-0.png', 'sample-1.png']) expect(existsSync(o(`sample/${f}`))).toBe(true);
    expect(npy(o('sample/z.npy')).shape).toEqual([2, 32]);
  });

  it.concurrent('export forwards its arguments to the Python exporter', async () => {
    const r = await ok(argv`export --help`);
    expect(r.stdout).toContain('--autoenc');
    expect(r.stdout).toContain('--lite-encoder');
  });

  it.concurrent('--help: top level lists every command; a command prints its usage', async () => {
    const top = await ok(argv`--help`);
    for (const c of COMMANDS) expect(top.stdout).toContain(`  ${c.name} `);
    expect((await ok(argv`render --help`)).stdout).toMatch(/^Usage: diffae render /);
  });

  it('every command has a --help text with usage, every option and an example', async () => {
    for (const c of COMMANDS) {
      if (!('help' in c)) continue;
      const text = (await okHere([c.name, '--help'])).stdout;
      expect(text).toMatch(new RegExp(`^Usage: diffae ${c.name} `));
      expect(text).toContain('Example:');
      for (const name of Object.keys(c.options))
        expect(text, `${c.name} --help: --${name}`).toContain(`--${name}`);
    }
  });

  /** A copy of the bundle whose classifier.json no longer has the manifest's size. */
  function corruptBundle(): string {
    const dir = o('corrupt-bundle');
    cpSync(B, dir, { recursive: true });
    writeFileSync(join(dir, 'classifier.json'), '{}');
    return dir;
  }

  // [what, argv, expected message, run as a child process (else in this process)]
  const errorCases: [string, () => string[], RegExp, boolean][] = [
    ['missing bundle', () => argv`info --bundle ${o('nope')}`, /no manifest\.json in bundle folder/, true],
    [
      'invalid K',
      () => argv`render --bundle ${B} --z ${a('arrays/z.npy')} --seed 1 --steps 37 --out ${o('e.png')}`,
      /Invalid DDIM step count 37: .*Nearby valid step counts: \d+/,
      true,
    ],
    [
      'missing image file',
      () => argv`encode --bundle ${B} ${o('nope.png')} --out ${o('e.npy')}`,
      /cannot read image .*nope\.png: no such file/,
      false,
    ],
    [
      'unknown attribute',
      () => argv`manipulate --bundle ${B} --z ${a('arrays/z.npy')} --xt ${a('arrays/render_xT.npy')}
        --edit Wings=0.3 --render-steps 2 --out ${o('e.png')}`,
      /Unknown attribute "Wings"\. Valid attributes: 5_o_Clock_Shadow, .*\(also accepted with the sign flipped: Beard\)/,
      false,
    ],
    [
      'bad --edit',
      () =>
        argv`manipulate --bundle ${B} --z ${a('arrays/z.npy')} --xt ${a('arrays/render_xT.npy')} --edit Smiling --out ${o('e.png')}`,
      /--edit expects Attribute=amplitude/,
      false,
    ],
    [
      'unknown option',
      () => argv`encode --bundle ${B} --colour red`,
      /Unknown option '--colour' \(see diffae encode --help\)/,
      false,
    ],
    [
      'z of the wrong width',
      () => argv`render --bundle ${B} --z ${a('arrays/render_xT.npy')} --seed 1 --out ${o('e.png')}`,
      /z must have shape \[N, 32\] for this bundle, got \[2, 3, 32, 32\]/,
      false,
    ],
    [
      'corrupt bundle file',
      () => argv`info --bundle ${corruptBundle()}`,
      /classifier\.json" has 2 bytes, the manifest says \d+/,
      false,
    ],
    [
      'no lite encoder',
      () => argv`encode --bundle ${B} ${a('arrays/x.npy')} --out ${o('e.npy')} --lite`,
      /has no lite encoder/,
      false,
    ],
    [
      'bad --runtime',
      () => argv`render --bundle ${B} --z ${a('arrays/z.npy')} --seed 1 --out ${o('e.png')} --runtime gpu`,
      /--runtime must be "node" or "web", got "gpu"/,
      false,
    ],
    [
      'bad seed',
      () => argv`sample --bundle ${B} --seed=-3 --out-dir ${o('s')}`,
      /--seed must be an integer in 0\.\.4294967295/,
      false,
    ],
  ];
  for (const [what, args, message, asChild] of errorCases) {
    it.concurrent(`bad input: ${what} → exit 2 and one line${asChild ? ' (child process)' : ''}`, async () => {
      const r = asChild ? await child(args()) : await inProcess(args());
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^diffae \w+: error: /);
      expect(lines[0]).toMatch(message);
    });
  }

  it.concurrent('unknown command → exit 2', async () => {
    const r = await inProcess(argv`frobnicate`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command "frobnicate"/);
  });
});
