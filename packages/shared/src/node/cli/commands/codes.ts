/** Getting the two codes (z, x_T) of input images, shared by invert, interpolate and the edit commands. */
import { type Codes, encode, encodeStochastic, type PipelineOptions } from '../../../pipelines.ts';
import type { Tensor } from '../../../tensor.ts';
import { type ParsedArgs, stringOption } from '../args.ts';
import type { CliIo } from '../command.ts';
import { saveTensor } from '../command.ts';
import type { Session } from '../session.ts';

/** z from the encoder, or the given z (its row count must match the images). */
export async function semanticCodes(
  session: Session,
  x: Tensor,
  opts: PipelineOptions,
  z?: Tensor,
): Promise<Tensor> {
  if (z === undefined) return encode(session.backend, x, opts);
  if (z.shape[0] !== x.shape[0]) {
    throw new RangeError(`z has ${z.shape[0]} rows but ${x.shape[0]} image(s) were given`);
  }
  return z;
}

/** z (encoded unless given) and x_T by DDIM inversion with `steps`. */
export async function invertImages(
  session: Session,
  x: Tensor,
  steps: number,
  opts: PipelineOptions,
  z?: Tensor,
): Promise<Codes> {
  const zs = await semanticCodes(session, x, opts, z);
  const xT = await encodeStochastic(session.backend, x, zs, { ...opts, steps });
  return { z: zs, xT };
}

export const SAVE_LATENTS_HELP =
  '  --save-latents DIR     also save z.npy and xT.npy (the codes used for the render)';

/** With --save-latents DIR: DIR/z.npy and DIR/xT.npy. */
export async function maybeSaveLatents(args: ParsedArgs, io: CliIo, codes: Codes): Promise<void> {
  const dir = stringOption(args, 'save-latents');
  if (dir === undefined) return;
  await saveTensor(io, `${dir}/z.npy`, codes.z);
  await saveTensor(io, `${dir}/xT.npy`, codes.xT);
}
