/**
 * Layout → screen projection for the scatter: fit the points to the canvas (so a t-SNE layout that keeps
 * expanding stays in view), then apply the user's zoom and pan; in 3-D, rotate (yaw, pitch) and add a
 * mild perspective. Pure arithmetic, so the hit-testing and drawing share one answer.
 */
export interface View {
  zoom: number;
  /** Pan in fitted units (1 = half the shorter canvas side). */
  panX: number;
  panY: number;
  yaw: number;
  pitch: number;
}

export function project(coords: Float32Array, outDim: 2 | 3, width: number, height: number, v: View): { n: number; xy: Float32Array; depth: Float32Array | null } {
  const n = Math.floor(coords.length / outDim);
  const xy = new Float32Array(n * 2); // (n, 2) CSS pixels
  const R = (Math.min(width, height) / 2) * 0.9;
  const cx = width / 2, cy = height / 2;
  const c = new Float64Array(outDim);
  for (let i = 0; i < n; i++) for (let d = 0; d < outDim; d++) c[d] += coords[i * outDim + d] / n;
  if (outDim === 2) {
    // Box centre, not the mean: the fitted picture is then symmetric in the canvas.
    for (let d = 0; d < 2; d++) {
      let lo = Infinity, hi = -Infinity;
      for (let i = 0; i < n; i++) (lo = Math.min(lo, coords[2 * i + d])), (hi = Math.max(hi, coords[2 * i + d]));
      c[d] = n ? (lo + hi) / 2 : 0;
    }
    let ext = 0;
    for (let i = 0; i < n; i++) ext = Math.max(ext, Math.abs(coords[2 * i] - c[0]), Math.abs(coords[2 * i + 1] - c[1]));
    const s = (ext > 0 ? 1 / ext : 1) * v.zoom;
    for (let i = 0; i < n; i++) {
      xy[2 * i] = cx + ((coords[2 * i] - c[0]) * s + v.panX) * R;
      xy[2 * i + 1] = cy - ((coords[2 * i + 1] - c[1]) * s + v.panY) * R;
    }
    return { n, xy, depth: null };
  }
  let rad = 0;
  for (let i = 0; i < n; i++) {
    let r2 = 0;
    for (let d = 0; d < 3; d++) r2 += (coords[3 * i + d] - c[d]) ** 2;
    rad = Math.max(rad, r2);
  }
  const s = rad > 0 ? 1 / Math.sqrt(rad) : 1;
  const cyw = Math.cos(v.yaw), syw = Math.sin(v.yaw), cp = Math.cos(v.pitch), sp = Math.sin(v.pitch);
  const depth = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = (coords[3 * i] - c[0]) * s, y = (coords[3 * i + 1] - c[1]) * s, z = (coords[3 * i + 2] - c[2]) * s;
    const x1 = cyw * x + syw * z, z1 = -syw * x + cyw * z;
    const y2 = cp * y - sp * z1, z2 = sp * y + cp * z1;
    const f = 3 / (3 + z2); // camera 3 units away: near points larger, far points smaller
    depth[i] = z2;
    xy[2 * i] = cx + (x1 * f * v.zoom + v.panX) * R;
    xy[2 * i + 1] = cy - (y2 * f * v.zoom + v.panY) * R;
  }
  return { n, xy, depth };
}
