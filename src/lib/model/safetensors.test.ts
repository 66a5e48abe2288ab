import { describe, expect, it } from 'vitest';
import { SafetensorsError, readSafetensors, toFloat32, writeSafetensors } from './safetensors';

/** Bytes of a file: 8-byte little-endian length, the header text as given, then the buffer. */
function file(header: string, buffer: number[] | Uint8Array, lengthOverride?: number): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + buffer.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(lengthOverride ?? h.length), true);
  out.set(h, 8);
  out.set(buffer, 8 + h.length);
  return out;
}
const latin1 = (b: Uint8Array) => Array.from(b, (c) => String.fromCharCode(c)).join('');

describe('safetensors: the examples of the reference implementation’s tests', () => {
  it('writes {"test": int32 zeros (2, 2)} byte for byte as the reference writer (header padded to 8 with spaces)', () => {
    const out = writeSafetensors({ test: { shape: [2, 2], data: new Int32Array(4) } });
    // bindings/python/tests/test_simple.py: b'@\x00…{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}    \x00…'
    const expected = '@\0\0\0\0\0\0\0' + '{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}    ' + '\0'.repeat(16);
    expect(latin1(out)).toBe(expected);
    expect((8 + 64) % 8).toBe(0);
  });

  it('reads the unpadded example ("<" = 60-byte header) as int32 zeros (2, 2)', () => {
    const bytes = file('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}', new Uint8Array(16));
    expect(bytes[0]).toBe('<'.charCodeAt(0));
    const f = readSafetensors(bytes);
    expect(f.tensors.test.dtype).toBe('I32');
    expect(f.tensors.test.shape).toEqual([2, 2]);
    expect(Array.from(f.tensors.test.data as Int32Array)).toEqual([0, 0, 0, 0]);
  });

  it('reads __metadata__ and a header that ends in spaces ("f" = 102-byte header)', () => {
    const h = '{"__metadata__":{"framework":"pt"},"test1":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}       ';
    const bytes = file(h, new Uint8Array(16));
    expect(bytes[0]).toBe('f'.charCodeAt(0));
    const f = readSafetensors(bytes);
    expect(f.metadata).toEqual({ framework: 'pt' });
    expect(Object.keys(f.tensors)).toEqual(['test1']);
  });
});

describe('safetensors: round trip and values', () => {
  it('keeps names, order, shapes, dtypes, values and metadata; little-endian bytes in the buffer', () => {
    const w = new Float32Array([1.5, -2, 3.25, 0, Number.NaN, Infinity]);
    const out = writeSafetensors(
      { 'stem.conv.weight': { shape: [1, 2, 3], data: w }, step: { shape: [], data: Int32Array.of(7) }, big: { shape: [2], data: BigInt64Array.of(-1n, 2n ** 40n) } },
      { format: 'pt', config: '{"ndf":8}' },
    );
    const n = Number(new DataView(out.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    // the first tensor's first float, read by hand from the buffer: 1.5 = 0x3FC00000 little-endian
    expect(Array.from(out.subarray(8 + n, 8 + n + 4))).toEqual([0x00, 0x00, 0xc0, 0x3f]);
    const f = readSafetensors(out.slice().buffer);
    expect(f.order).toEqual(['stem.conv.weight', 'step', 'big']);
    expect(f.metadata).toEqual({ format: 'pt', config: '{"ndf":8}' });
    expect(f.tensors['stem.conv.weight'].shape).toEqual([1, 2, 3]);
    expect(Array.from(f.tensors['stem.conv.weight'].data as Float32Array)).toEqual(Array.from(w));
    expect(f.tensors.step).toMatchObject({ dtype: 'I32', shape: [] });
    expect(Array.from(f.tensors.step.data as Int32Array)).toEqual([7]);
    expect(Array.from(f.tensors.big.data as BigInt64Array)).toEqual([-1n, 2n ** 40n]);
  });

  it('reads tensors that start at unaligned offsets (a header not padded to 8)', () => {
    const buf = new Uint8Array(1 + 4);
    buf[0] = 9;
    new DataView(buf.buffer).setFloat32(1, 0.75, true);
    const f = readSafetensors(file('{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"F32","shape":[1],"data_offsets":[1,5]}}', buf));
    expect(f.tensors.b.data[0]).toBe(0.75);
    expect(f.tensors.a.data[0]).toBe(9);
  });

  it('decodes F16 and BF16 to float32', () => {
    const f16 = toFloat32({ dtype: 'F16', shape: [4], data: Uint16Array.of(0x3c00, 0xc000, 0x3555, 0x0001) });
    expect(f16[0]).toBe(1);
    expect(f16[1]).toBe(-2);
    expect(f16[2]).toBeCloseTo(1 / 3, 3);
    expect(f16[3]).toBeCloseTo(2 ** -24, 30);
    expect(Array.from(toFloat32({ dtype: 'BF16', shape: [2], data: Uint16Array.of(0x3f80, 0xc040) }))).toEqual([1, -3]);
  });
});

describe('safetensors: bad files are refused with a message naming the problem', () => {
  const ok = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  const cases: [string, Uint8Array, RegExp][] = [
    ['too short', new Uint8Array(5), /too short/],
    ['header past the end', file(ok, new Uint8Array(8), 500), /runs past the end/],
    ['header over 100 MB', file(ok, new Uint8Array(8), 200_000_000), /100 MB/],
    ['not starting with {', file(' ' + ok, new Uint8Array(8)), /start with "\{"/],
    ['not JSON', file('{"a":', new Uint8Array(8)), /not valid UTF-8 JSON/],
    ['unknown dtype', file('{"a":{"dtype":"F13","shape":[2],"data_offsets":[0,8]}}', new Uint8Array(8)), /a: unknown dtype/],
    ['size mismatch', file('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', new Uint8Array(8)), /a: data_offsets span 8 bytes.*need 12/],
    ['hole', file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', new Uint8Array(8)), /hole in the byte buffer before a/],
    ['overlap', file('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', new Uint8Array(8)), /overlaps/],
    ['trailing bytes', file(ok, new Uint8Array(12)), /cover 8 bytes but the buffer holds 12/],
    ['metadata not strings', file('{"__metadata__":{"n":1},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', new Uint8Array(8)), /__metadata__.n must be a string/],
    ['bad shape', file('{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', new Uint8Array(8)), /a: shape/],
  ];
  for (const [what, bytes, re] of cases)
    it(what, () => {
      expect(() => readSafetensors(bytes)).toThrow(SafetensorsError);
      expect(() => readSafetensors(bytes)).toThrow(re);
    });

  it('the writer refuses a shape that does not match the data', () => {
    expect(() => writeSafetensors({ a: { shape: [3], data: new Float32Array(2) } })).toThrow(/a: shape \[3\] needs 3 values, got 2/);
  });
});
