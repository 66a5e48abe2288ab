/**
 * Barnes–Hut repulsion for t-SNE in 2-D or 3-D (a quadtree or an octree). A cell far enough away
 * (half its side / distance < θ, the convention of van der Maaten's bhtsne, whose θ = 0.5 is the usual
 * default) acts as one point of mass `count` at its centre of mass, turning the O(n²) sum
 * Σ_j w_ij² (y_i − y_j) into O(n log n). The tree lives in flat typed arrays (no per-node objects) and is
 * rebuilt every iteration because every point moves.
 */

const MAX_DEPTH = 48;

export class SpaceTree {
  readonly D: number;
  readonly fan: number;
  size = 0;
  #cap = 0;
  center = new Float64Array(0); // (cap, D) cell centre
  half = new Float64Array(0); // (cap) half side
  com = new Float64Array(0); // (cap, D) position sum, then centre of mass after finish()
  count = new Int32Array(0); // (cap)
  child = new Int32Array(0); // (cap) first of `fan` consecutive children, −1 for a leaf
  point = new Int32Array(0); // (cap) the leaf's point (its duplicates share the leaf), −1 if none
  #stack = new Int32Array(0);

  constructor(D: 2 | 3) {
    this.D = D;
    this.fan = 1 << D;
    this.#grow(1024);
  }

  #grow(cap: number): void {
    const D = this.D;
    const f64 = (a: Float64Array, m: number) => {
      const b = new Float64Array(cap * m);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.center = f64(this.center, D);
    this.half = f64(this.half, 1);
    this.com = f64(this.com, D);
    this.count = i32(this.count);
    this.child = i32(this.child);
    this.point = i32(this.point);
    this.#cap = cap;
  }

  #alloc(parent: number, q: number): number {
    if (this.size >= this.#cap) this.#grow(this.#cap * 2);
    const D = this.D, node = this.size++;
    const h = this.half[parent] / 2;
    this.half[node] = h;
    for (let d = 0; d < D; d++) {
      this.center[node * D + d] = this.center[parent * D + d] + ((q >> d) & 1 ? h : -h);
      this.com[node * D + d] = 0;
    }
    this.count[node] = 0;
    this.child[node] = -1;
    this.point[node] = -1;
    return node;
  }

  #quadrant(node: number, Y: Float64Array, i: number): number {
    let q = 0;
    for (let d = 0; d < this.D; d++) if (Y[i * this.D + d] > this.center[node * this.D + d]) q |= 1 << d;
    return q;
  }

  /** Build over the n points of Y (n, D). */
  build(Y: Float64Array, n: number): void {
    const D = this.D;
    const lo = new Float64Array(D).fill(Infinity), hi = new Float64Array(D).fill(-Infinity);
    for (let i = 0; i < n; i++)
      for (let d = 0; d < D; d++) {
        lo[d] = Math.min(lo[d], Y[i * D + d]);
        hi[d] = Math.max(hi[d], Y[i * D + d]);
      }
    let side = 0;
    for (let d = 0; d < D; d++) side = Math.max(side, hi[d] - lo[d]);
    this.size = 1;
    this.half[0] = side / 2 + 1e-5 + side * 1e-5;
    for (let d = 0; d < D; d++) {
      this.center[d] = (lo[d] + hi[d]) / 2;
      this.com[d] = 0;
    }
    this.count[0] = 0;
    this.child[0] = -1;
    this.point[0] = -1;
    for (let i = 0; i < n; i++) this.#insert(Y, i);
    for (let node = 0; node < this.size; node++) {
      const c = this.count[node];
      if (c > 0) for (let d = 0; d < D; d++) this.com[node * D + d] /= c;
    }
    if (this.#stack.length < MAX_DEPTH * this.fan + 8) this.#stack = new Int32Array(MAX_DEPTH * this.fan + 8);
  }

  #insert(Y: Float64Array, i: number): void {
    const D = this.D;
    let node = 0, depth = 0;
    for (;;) {
      if (this.child[node] >= 0) {
        this.count[node]++;
        for (let d = 0; d < D; d++) this.com[node * D + d] += Y[i * D + d];
        node = this.child[node] + this.#quadrant(node, Y, i);
        depth++;
        continue;
      }
      const p = this.point[node];
      let same = p >= 0;
      for (let d = 0; same && d < D; d++) same = Y[p * D + d] === Y[i * D + d];
      if (p < 0 || same || depth >= MAX_DEPTH) {
        // Empty leaf, an exact duplicate, or too deep to split: the leaf keeps the points as one mass.
        if (p < 0) this.point[node] = i;
        this.count[node]++;
        for (let d = 0; d < D; d++) this.com[node * D + d] += Y[i * D + d];
        return;
      }
      // Split: the old occupant(s), all at Y[p], move down as a whole; then retry this node as internal.
      const first = this.size;
      for (let q = 0; q < this.fan; q++) this.#alloc(node, q);
      const q = this.#quadrant(node, Y, p);
      const c = first + q;
      this.count[c] = this.count[node];
      for (let d = 0; d < D; d++) this.com[c * D + d] = this.com[node * D + d];
      this.point[c] = p;
      this.child[node] = first;
      this.point[node] = -1;
    }
  }

  /**
   * Repulsion on point i: adds Σ_j w_ij² (y_i − y_j) into force[i·D…] and returns Σ_j w_ij (its share of Z),
   * with w = 1/(1 + ‖y_i − y_j‖²), self excluded.
   */
  repulse(Y: Float64Array, i: number, theta: number, force: Float64Array): number {
    const D = this.D, stack = this.#stack, th2 = theta * theta;
    let top = 0, z = 0;
    stack[top++] = 0;
    const fo = i * D;
    let f0 = 0, f1 = 0, f2 = 0;
    const y0 = Y[fo], y1 = Y[fo + 1], y2 = D === 3 ? Y[fo + 2] : 0;
    while (top > 0) {
      const node = stack[--top];
      const c = this.count[node];
      const o = node * D;
      const d0 = y0 - this.com[o], d1 = y1 - this.com[o + 1], d2 = D === 3 ? y2 - this.com[o + 2] : 0;
      const dist2 = d0 * d0 + d1 * d1 + d2 * d2;
      const leaf = this.child[node] < 0;
      if (leaf && dist2 === 0) {
        z += c - 1; // i's own leaf: its duplicates add to Z but push with zero force
        continue;
      }
      const h = this.half[node];
      if (leaf || h * h < th2 * dist2) {
        const w = 1 / (1 + dist2);
        const m = c * w;
        z += m;
        const mw = m * w;
        f0 += mw * d0;
        f1 += mw * d1;
        f2 += mw * d2;
      } else {
        const ch = this.child[node];
        for (let q = 0; q < this.fan; q++) if (this.count[ch + q] > 0) stack[top++] = ch + q;
      }
    }
    force[fo] += f0;
    force[fo + 1] += f1;
    if (D === 3) force[fo + 2] += f2;
    return z;
  }
}
