/**
 * The long-lived PyTorch process (torch_worker.py) seen from Node: one request at a time, answers
 * matched by id. Keeping one process for the whole run excludes Python start-up from every timing and
 * lets the ORT and torch calls of a measurement alternate call by call.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from './paths.ts';

export const PYTHON = process.env.DIFFAE_BENCH_PYTHON ?? '/usr/bin/python3';

type Answer = { id: number; ok: boolean; error?: string } & Record<string, unknown>;

export class TorchWorker {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiting = new Map<number, { resolve(a: Answer): void; reject(e: Error): void }>();
  readonly #stderr: string[] = [];
  #nextId = 1;
  #exited: Error | undefined;

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.#child = child;
    createInterface({ input: child.stdout }).on('line', (line) => this.#onLine(line));
    createInterface({ input: child.stderr }).on('line', (line) => {
      this.#stderr.push(line);
      if (this.#stderr.length > 40) this.#stderr.shift();
    });
    child.on('exit', (code, signal) => {
      this.#exited = new Error(
        `torch worker exited (code ${code}, signal ${signal}); last stderr:\n${this.#stderr.join('\n')}`,
      );
      for (const w of this.#waiting.values()) w.reject(this.#exited);
      this.#waiting.clear();
    });
  }

  static start(): TorchWorker {
    const child = spawn(PYTHON, [path.join(REPO_ROOT, 'bench/src/torch_worker.py')], {
      cwd: REPO_ROOT,
      env: { ...process.env, PYTHONPATH: path.join(REPO_ROOT, 'models'), PYTHONUNBUFFERED: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new TorchWorker(child);
  }

  #onLine(line: string): void {
    let answer: Answer;
    try {
      answer = JSON.parse(line) as Answer;
    } catch {
      this.#stderr.push(`(stdout) ${line}`);
      return;
    }
    const waiter = this.#waiting.get(answer.id);
    if (!waiter) return;
    this.#waiting.delete(answer.id);
    if (answer.ok) waiter.resolve(answer);
    else waiter.reject(new Error(`torch worker: ${answer.error ?? 'unknown error'}`));
  }

  request<T = Record<string, unknown>>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    if (this.#exited) return Promise.reject(this.#exited);
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, { resolve: (a) => resolve(a as unknown as T), reject });
      this.#child.stdin.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
    });
  }

  /** One timed forward call inside Python, in ms. */
  async time(model: string, component: 'unet' | 'encoder', batch: number): Promise<number> {
    return (await this.request<{ ms: number }>('time', { model, component, batch })).ms;
  }

  async close(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    await this.request('quit').catch(() => undefined);
    this.#child.stdin.end();
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
