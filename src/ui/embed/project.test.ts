import { describe, expect, it } from 'vitest';
import { project } from './project';

const view = { zoom: 1, panX: 0, panY: 0, yaw: 0, pitch: 0 };

describe('scatter projection', () => {
  it('fits a 2-D layout to the canvas, y up', () => {
    const p = project(new Float32Array([-10, 0, 10, 0, 0, 5]), 2, 200, 100, view);
    const R = 50 * 0.9;
    expect(Array.from(p.xy)).toEqual([100 - R, 50 + R / 4, 100 + R, 50 + R / 4, 100, 50 - R / 4].map(Math.fround));
  });

  it('keeps the point under the zoom centre fixed when pan compensates', () => {
    const coords = new Float32Array([1, 1, -1, -1]);
    const a = project(coords, 2, 100, 100, view);
    const b = project(coords, 2, 100, 100, { ...view, zoom: 2, panX: -1, panY: -1 }); // zoom about point 0
    expect(b.xy[0]).toBeCloseTo(a.xy[0], 4);
    expect(b.xy[1]).toBeCloseTo(a.xy[1], 4);
  });

  it('rotates 3-D points and reports depth', () => {
    const p = project(new Float32Array([1, 0, 0, -1, 0, 0]), 3, 100, 100, { ...view, yaw: Math.PI / 2 });
    expect(p.depth![0]).toBeCloseTo(-1, 6); // x axis turned towards the camera
    expect(p.xy[0]).toBeCloseTo(50, 4);
  });
});
