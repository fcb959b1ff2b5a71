// A trend sparkline as inline SVG: points [x, y]; null y values leave a gap.
import { svg } from './dom.js';

export function sparkline(points, {width = 200, height = 48, label = ''} = {}) {
  const data = points.filter((p) => p[1] !== null && p[1] !== undefined && Number.isFinite(Number(p[1])));
  const root = svg('svg', {class: 'spark', viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'none',
                           role: 'img', 'aria-label': label});
  if (data.length === 0) return root;
  const xs = data.map((p) => Number(p[0])), ys = data.map((p) => Number(p[1]));
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) { y0 -= 1; y1 += 1; }
  const pad = 4;
  const px = (x) => (x1 === x0 ? width / 2 : pad + ((x - x0) / (x1 - x0)) * (width - 2 * pad));
  const py = (y) => height - pad - ((y - y0) / (y1 - y0)) * (height - 2 * pad);
  const path = data.map((p, i) => `${i ? 'L' : 'M'}${px(Number(p[0])).toFixed(1)},${py(Number(p[1])).toFixed(1)}`).join('');
  const area = `${path}L${px(x1).toFixed(1)},${height}L${px(x0).toFixed(1)},${height}Z`;
  root.append(svg('path', {class: 'spark-area', d: area}), svg('path', {class: 'spark-line', d: path}));
  const last = data[data.length - 1];
  root.append(svg('circle', {class: 'spark-dot', cx: px(Number(last[0])), cy: py(Number(last[1])), r: 3.2}));
  return root;
}
