/**
 * Useful FLOPs of one AMDIM training step, counted analytically from the encoder plan (src/lib/model/plan.ts):
 * every k×k and 1×1 convolution of the encoder and heads (2·Ho·Wo·k²·Cin·Cout per image forward, ×3 for
 * forward + input gradient + filter gradient) and the NCE score matmuls (2·B·(B·t²)·D per directed pair,
 * ×3). Elementwise ops, BatchNorm, pooling and Adam are left out: they are memory-bound and small in FLOPs.
 */
import type { Config } from '../src/lib/config';
import { encoderPlan, matmulLayers, type MatmulLayer } from '../src/lib/model/plan';

type EncoderKeys = Pick<Config, 'ndf' | 'nRkhs' | 'nDepth' | 'imageSize'> & { useBn?: 0 | 1 | boolean };

/** The encoder's matmul-shaped layers for one image, from the plan the encoder is built from. */
export function encoderLayers(cfg: EncoderKeys): MatmulLayer[] {
  return matmulLayers(encoderPlan({ ndf: cfg.ndf, nRkhs: cfg.nRkhs, nDepth: cfg.nDepth, imageSize: cfg.imageSize, useBn: cfg.useBn === 1 || cfg.useBn === true }));
}

/** Forward multiply-adds ×2 of one layer for one image. */
export const layerFlops = (l: MatmulLayer): number => 2 * l.out * l.out * l.k * l.k * l.cin * l.cout;

export function stepFlops(cfg: EncoderKeys & Pick<Config, 'batchSize'>): { encoder: number; nce: number; total: number } {
  const perImage = encoderLayers(cfg).reduce((s, l) => s + layerFlops(l), 0);
  const B = cfg.batchSize, D = cfg.nRkhs;
  const encoder = 3 * perImage * 2 * B; // both views go through the encoder
  const nce = 3 * 2 * (2 * B * (B * 25) * D + 2 * B * (B * 49) * D + 2 * B * (B * 25) * D); // 3 pairs × 2 directions
  return { encoder, nce, total: encoder + nce };
}
