import { describe, expect, it } from 'vitest';
import { binaryEntropy, entropy, mutualInformation } from './entropy';
import { blahutArimoto, bsc, channelMutualInformation, checkChannel, disturbedChannel, idealChannel, jointFromChannel } from './channel';

/** Brute-force capacity of a 2-input channel: scan P(x) = (p, 1 − p) on a fine grid. */
function slowCapacity2(W: number[][]): { c: number; p: number } {
  let best = { c: -1, p: 0 };
  for (let k = 0; k <= 20000; k++) {
    const p = k / 20000;
    const c = channelMutualInformation([p, 1 - p], W);
    if (c > best.c) best = { c, p };
  }
  return best;
}

describe('channel', () => {
  it('ideal channel transmits everything: I = H(X)', () => {
    const px = [0.1, 0.2, 0.3, 0.4];
    expect(channelMutualInformation(px, idealChannel(4))).toBeCloseTo(entropy(px), 14);
  });
  it('fully disturbed channel transmits nothing: I = 0', () => {
    expect(channelMutualInformation([0.25, 0.75], disturbedChannel(2, [0.3, 0.3, 0.4]))).toBeCloseTo(0, 15);
  });
  it('binary symmetric channel, uniform input: I = 1 − H_b(e) bits', () => {
    for (const e of [0, 0.01, 0.1, 0.25, 0.5, 0.8, 1]) {
      expect(channelMutualInformation([0.5, 0.5], bsc(e))).toBeCloseTo(1 - binaryEntropy(e), 13);
    }
  });
  it('joint = P(x) P(y|x), its MI equals the channel MI', () => {
    const W = [
      [0.7, 0.2, 0.1],
      [0.1, 0.8, 0.1],
    ];
    const j = jointFromChannel([0.4, 0.6], W);
    expect(j[1][1]).toBeCloseTo(0.48, 15);
    expect(mutualInformation(j)).toBeCloseTo(channelMutualInformation([0.4, 0.6], W), 14);
  });
  it('names bad rows', () => {
    expect(() => checkChannel([[0.5, 0.5], [0.5, 0.6]])).toThrow(/P\(y \| x=1\) sums to 1.1/);
    expect(() => jointFromChannel([1], [[0.5, 0.5], [0.5, 0.5]])).toThrow(/1 symbols but the channel has 2/);
    expect(() => bsc(1.5)).toThrow(RangeError);
  });
});

describe('Blahut–Arimoto capacity', () => {
  it('BSC capacity is 1 − H_b(e) at the uniform input', () => {
    for (const e of [0, 0.05, 0.2, 0.5]) {
      const r = blahutArimoto(bsc(e));
      expect(r.capacity).toBeCloseTo(1 - binaryEntropy(e), 9);
      expect(r.input[0]).toBeCloseTo(0.5, 6);
    }
  });
  it('ideal channel on n symbols: log2 n with uniform input; disturbed: 0', () => {
    const r = blahutArimoto(idealChannel(5));
    expect(r.capacity).toBeCloseTo(Math.log2(5), 9);
    for (const v of r.input) expect(v).toBeCloseTo(0.2, 6);
    expect(blahutArimoto(disturbedChannel(3, [0.5, 0.5])).capacity).toBeCloseTo(0, 12);
  });
  it('Z channel matches a brute-force scan over the input (asymmetric optimum)', () => {
    const Z = [
      [1, 0],
      [0.4, 0.6],
    ];
    const slow = slowCapacity2(Z);
    const r = blahutArimoto(Z);
    expect(r.capacity).toBeCloseTo(slow.c, 7);
    expect(r.input[0]).toBeCloseTo(slow.p, 3);
    expect(r.gap).toBeLessThan(1e-9);
    expect(r.input[0]).toBeGreaterThan(0.5);
  });
});
