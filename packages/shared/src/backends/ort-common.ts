/**
 * One DiffAEBackend over onnxruntime, shared by onnxruntime-node and onnxruntime-web: both expose
 * the same `Tensor` / `InferenceSession` API, so the adapters only pass their module and options.
 * Tensors are always built with the module that runs them (the two packages carry separate
 * onnxruntime-common copies whose Tensor objects must not be mixed).
 */
import type { BackendInfo, DiffAEBackend } from '../backend.ts';
import { assertShape, type Tensor } from '../tensor.ts';

/** The slice of the onnxruntime JS API this adapter relies on (structural, so either package fits). */
export interface OrtTensorLike {
  readonly data: unknown;
  readonly dims: readonly number[];
}

export interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensorLike>): Promise<Record<string, OrtTensorLike>>;
  release(): Promise<void>;
}

export interface OrtSessionOptions {
  executionProviders?: string[];
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
}

export interface OrtModuleLike {
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensorLike;
  InferenceSession: {
    create(path: string, options?: OrtSessionOptions): Promise<OrtSessionLike>;
    create(bytes: Uint8Array, options?: OrtSessionOptions): Promise<OrtSessionLike>;
  };
}

/** A model file path (Node; a URL in browsers for onnxruntime-web) or the model's bytes. */
export type ModelSource = string | Uint8Array;

export interface OrtModelSources {
  encoder: ModelSource;
  unet: ModelSource;
  latent?: ModelSource;
  liteEncoder?: ModelSource;
}

export type ModelRole = keyof OrtModelSources;

export interface BackendLogger {
  warn(message: string): void;
}

export interface OrtBackendInfo extends BackendInfo {
  /** Providers asked for, in order. */
  readonly requestedProviders: readonly string[];
  /** Providers the sessions were created with; undefined until the first session exists. */
  readonly providers: readonly string[] | undefined;
  /** True when the requested accelerator failed and sessions run on the CPU instead. */
  readonly fellBack: boolean;
  readonly threads: number | undefined;
}

export interface OrtBackend extends DiffAEBackend {
  readonly info: OrtBackendInfo;
  backendInfo(): OrtBackendInfo;
}

export interface OrtBackendConfig {
  /** "ort-node" or "ort-web". */
  name: string;
  providers: readonly string[];
  /** Providers to retry with when session creation with `providers` throws; none: no retry. */
  fallbackProviders?: readonly string[];
  /** Thread count reported by backendInfo (how it is applied differs per runtime). */
  threads?: number;
  sessionOptions?: Omit<OrtSessionOptions, 'executionProviders'>;
  /** Create every session now (default) instead of on first use. */
  eager?: boolean;
  maxBatch?: number;
  logger?: BackendLogger;
}

const IO: Record<ModelRole, { file: string; inputs: readonly string[]; output: string }> = {
  encoder: { file: 'encoder.onnx', inputs: ['x'], output: 'z' },
  liteEncoder: { file: 'lite_encoder.onnx', inputs: ['x'], output: 'z' },
  unet: { file: 'unet.onnx', inputs: ['x', 't', 'z'], output: 'eps' },
  latent: { file: 'latent.onnx', inputs: ['x', 't'], output: 'eps' },
};

const consoleLogger: BackendLogger = { warn: (message) => console.warn(message) };

function describeError(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}

export async function createOrtBackend(
  ort: OrtModuleLike,
  models: OrtModelSources,
  config: OrtBackendConfig,
): Promise<OrtBackend> {
  const logger = config.logger ?? consoleLogger;
  const sessions = new Map<ModelRole, Promise<OrtSessionLike>>();
  let activeProviders: readonly string[] | undefined;
  let fellBack = false;
  let disposed = false;

  function describe(): OrtBackendInfo {
    const providers = activeProviders;
    return {
      name: config.name,
      device: providers?.[0] ?? config.providers[0] ?? 'cpu',
      ...(config.maxBatch !== undefined ? { maxBatch: config.maxBatch } : {}),
      requestedProviders: [...config.providers],
      providers: providers ? [...providers] : undefined,
      fellBack,
      threads: config.threads,
    };
  }

  async function open(source: ModelSource, providers: readonly string[]): Promise<OrtSessionLike> {
    const options: OrtSessionOptions = { ...config.sessionOptions, executionProviders: [...providers] };
    return typeof source === 'string'
      ? ort.InferenceSession.create(source, options)
      : ort.InferenceSession.create(source, options);
  }

  async function createSession(role: ModelRole, source: ModelSource): Promise<OrtSessionLike> {
    let session: OrtSessionLike;
    const providers = activeProviders ?? config.providers;
    try {
      session = await open(source, providers);
    } catch (error) {
      const fallback = config.fallbackProviders;
      if (activeProviders !== undefined || !fallback) {
        throw new Error(
          `${config.name}: cannot load ${IO[role].file} with [${providers.join(', ')}]: ${describeError(error)}`,
          {
            cause: error,
          },
        );
      }
      logger.warn(
        `${config.name}: execution providers [${providers.join(', ')}] unavailable (${describeError(error)}); falling back to [${fallback.join(', ')}]`,
      );
      session = await open(source, fallback);
      activeProviders = fallback;
      fellBack = true;
    }
    activeProviders ??= providers;
    const { inputs, output, file } = IO[role];
    const missing = [
      ...inputs.filter((n) => !session.inputNames.includes(n)),
      ...(session.outputNames.includes(output) ? [] : [output]),
    ];
    if (missing.length > 0) {
      await session.release();
      throw new Error(
        `${file} does not match the bundle contract: expected inputs [${inputs.join(', ')}] and output '${output}', ` +
          `got inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}]`,
      );
    }
    return session;
  }

  // Sessions are created one after another so that a provider fallback happens (and is logged) once.
  let queue: Promise<unknown> = Promise.resolve();
  function session(role: ModelRole): Promise<OrtSessionLike> {
    if (disposed) return Promise.reject(new Error(`${config.name}: backend is disposed`));
    const source = models[role];
    if (source === undefined)
      return Promise.reject(new Error(`${config.name}: no ${IO[role].file} in this bundle`));
    let pending = sessions.get(role);
    if (!pending) {
      pending = queue.then(() => createSession(role, source));
      queue = pending.catch(() => undefined);
      sessions.set(role, pending);
      pending.catch(() => sessions.delete(role));
    }
    return pending;
  }

  /** Runs one graph; `outShape` is the expected output shape, null where any size is fine. */
  async function run(
    role: ModelRole,
    feeds: Record<string, Tensor>,
    outShape: readonly (number | null)[],
  ): Promise<Tensor> {
    const s = await session(role);
    const ortFeeds: Record<string, OrtTensorLike> = {};
    for (const [name, t] of Object.entries(feeds))
      ortFeeds[name] = new ort.Tensor('float32', t.data, t.shape);
    const result = await s.run(ortFeeds);
    const out = result[IO[role].output];
    if (!out || !(out.data instanceof Float32Array)) {
      throw new Error(`${IO[role].file} returned no float32 '${IO[role].output}' output`);
    }
    const shape = [...out.dims];
    if (shape.length !== outShape.length || outShape.some((d, i) => d !== null && d !== shape[i])) {
      const expected = outShape.map((d) => d ?? '*').join(', ');
      throw new Error(
        `${IO[role].file} returned '${IO[role].output}' of shape [${shape.join(', ')}], expected [${expected}]`,
      );
    }
    return { data: out.data, shape };
  }

  function timesteps(t: Float32Array, n: number): Tensor {
    if (t.length !== n)
      throw new RangeError(`t must hold one timestep per row: got ${t.length} for batch ${n}`);
    return { data: t, shape: [n] };
  }

  const optional = (role: ModelRole) => models[role] !== undefined;

  const backend: OrtBackend = {
    get info() {
      return describe();
    },
    backendInfo: describe,
    async encode(x) {
      assertShape(x, [null, 3, null, null], 'encode: x');
      return run('encoder', { x }, [x.shape[0], null]);
    },
    async eps(x, t, z) {
      assertShape(x, [null, 3, null, null], 'eps: x');
      const n = x.shape[0];
      assertShape(z, [n, null], 'eps: z');
      return run('unet', { x, t: timesteps(t, n), z }, x.shape);
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.all(open.map((p) => p.then((s) => s.release()).catch(() => undefined)));
    },
  };
  if (optional('liteEncoder')) {
    backend.liteEncode = async (x) => {
      assertShape(x, [null, 3, null, null], 'liteEncode: x');
      return run('liteEncoder', { x }, [x.shape[0], null]);
    };
  }
  if (optional('latent')) {
    backend.latentEps = async (x, t) => {
      assertShape(x, [null, null], 'latentEps: x');
      return run('latent', { x, t: timesteps(t, x.shape[0]) }, x.shape);
    };
  }
  if (config.eager ?? true) {
    const roles = (Object.keys(IO) as ModelRole[]).filter(optional);
    try {
      await Promise.all(roles.map(session));
    } catch (error) {
      await backend.dispose();
      throw error;
    }
  }
  return backend;
}
