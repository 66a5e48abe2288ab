/**
 * Streaming readers for the binary dataset releases: chunks from a ReadableStream, gunzip through the
 * platform's DecompressionStream, a byte reader that hands out exact lengths, and a ustar/GNU tar reader
 * that yields one entry at a time so a 180 MB archive never sits in memory whole.
 */

/** Async chunks of a stream (ReadableStream async iteration is not in every TS lib yet). */
export async function* streamChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (value.length) yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** True for gzip's magic bytes. */
export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

export function gunzip(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  return stream.pipeThrough(new DecompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
}

/** Reads exact byte counts from an async chunk source, copying only when a read spans chunks. */
export class ByteReader {
  readonly #it: AsyncIterator<Uint8Array>;
  #buf: Uint8Array = new Uint8Array(0);
  #eof = false;
  /** Bytes handed out or skipped so far. */
  position = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#it = source[Symbol.asyncIterator]();
  }

  async #fill(): Promise<boolean> {
    if (this.#eof) return false;
    const r = await this.#it.next();
    if (r.done) {
      this.#eof = true;
      return false;
    }
    this.#buf = this.#buf.length ? concat(this.#buf, r.value) : r.value;
    return true;
  }

  /** Exactly n bytes, or fewer only at the end of the source. */
  async read(n: number): Promise<Uint8Array> {
    while (this.#buf.length < n && (await this.#fill()));
    const out = this.#buf.subarray(0, Math.min(n, this.#buf.length));
    this.#buf = this.#buf.subarray(out.length);
    this.position += out.length;
    return out;
  }

  /** Up to `max` bytes: whatever is buffered, or the next chunk. Empty only at the end. */
  async readSome(max: number): Promise<Uint8Array> {
    if (!this.#buf.length) await this.#fill();
    const out = this.#buf.subarray(0, Math.min(max, this.#buf.length));
    this.#buf = this.#buf.subarray(out.length);
    this.position += out.length;
    return out;
  }

  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      const got = await this.readSome(left);
      if (!got.length) throw new Error(`Unexpected end of data: ${left} bytes missing`);
      left -= got.length;
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export interface TarEntry {
  /** Full path inside the archive. */
  name: string;
  size: number;
  type: 'file' | 'dir' | 'other';
  /** The entry's bytes, streamed; whatever is not consumed is skipped before the next entry. */
  body: AsyncIterable<Uint8Array>;
}

const decoder = new TextDecoder();
function cstr(b: Uint8Array, start: number, len: number): string {
  const s = b.subarray(start, start + len);
  const nul = s.indexOf(0);
  return decoder.decode(nul < 0 ? s : s.subarray(0, nul));
}
function octal(b: Uint8Array, start: number, len: number): number {
  if (b[start] & 0x80) { // GNU base-256 for sizes over 8 GiB
    let v = 0;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + b[i];
    return v;
  }
  const s = cstr(b, start, len).trim();
  return s ? parseInt(s, 8) : 0;
}

function checksumOk(h: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
  return sum === octal(h, 148, 8);
}

/** Entries of a tar stream in order. Consume (or ignore) each entry's body before asking for the next. */
export async function* tarEntries(source: AsyncIterable<Uint8Array>): AsyncGenerator<TarEntry> {
  const r = new ByteReader(source);
  let longName: string | null = null;
  for (;;) {
    const h = await r.read(512);
    if (h.length === 0) return;
    if (h.length < 512) throw new Error('Archive is truncated (incomplete tar header).');
    if (h.every((v) => v === 0)) return; // end-of-archive marker
    if (!checksumOk(h)) throw new Error('Not a tar archive (header checksum mismatch at byte ' + (r.position - 512) + ').');
    const size = octal(h, 124, 12);
    const flag = String.fromCharCode(h[156] || 0x30);
    const padded = Math.ceil(size / 512) * 512;
    if (flag === 'L' || flag === 'x') { // GNU long name, or a pax header carrying path=
      const meta = decoder.decode((await r.read(padded)).subarray(0, size));
      if (flag === 'L') longName = meta.replace(/\0+$/, '');
      else {
        const m = /\d+ path=([^\n]*)\n/.exec(meta);
        if (m) longName = m[1];
      }
      continue;
    }
    const prefix = h[257] === 0x75 /* 'u'star */ ? cstr(h, 345, 155) : '';
    const name = longName ?? (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100));
    longName = null;
    const type = flag === '0' || flag === '\0' || flag === '7' ? 'file' : flag === '5' ? 'dir' : 'other';
    let left = size;
    const body = (async function* () {
      while (left > 0) {
        const got = await r.readSome(left);
        if (!got.length) throw new Error(`Archive is truncated inside "${name}".`);
        left -= got.length;
        yield got;
      }
    })();
    yield { name, size, type, body };
    if (left > 0) await r.skip(left);
    await r.skip(padded - size);
  }
}

/** Re-chunk a byte stream into runs of whole records (a multiple of `record` bytes each, except none at the end). */
export async function* wholeRecords(source: AsyncIterable<Uint8Array>, record: number, maxRecords = 256): AsyncGenerator<Uint8Array> {
  const buf = new Uint8Array(record * maxRecords);
  let n = 0;
  for await (const chunk of source) {
    let at = 0;
    while (at < chunk.length) {
      const take = Math.min(buf.length - n, chunk.length - at);
      buf.set(chunk.subarray(at, at + take), n);
      n += take;
      at += take;
      if (n === buf.length) {
        yield buf.slice();
        n = 0;
      }
    }
  }
  const whole = n - (n % record);
  if (whole) yield buf.slice(0, whole);
  if (n % record) throw new Error(`${n % record} trailing bytes do not make a whole ${record}-byte record`);
}
