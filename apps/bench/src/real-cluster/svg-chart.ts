// A small line chart of writes/s against clients, hand-written so the bench
// needs no chart library: log-scale x at the measured client counts, linear y.

export interface Series {
  name: string;
  color: string;
  points: { x: number; y: number }[];
}

const width = 720;
const height = 420;
const margin = { left: 80, right: 150, top: 40, bottom: 56 };
const plotW = width - margin.left - margin.right;
const plotH = height - margin.top - margin.bottom;

/** A round step giving about five y ticks. */
function niceStep(max: number): number {
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 2.5, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
}

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

export function lineChart(title: string, xs: readonly number[], series: readonly Series[]): string {
  const lo = Math.log(Math.min(...xs));
  const hi = Math.log(Math.max(...xs));
  // Inset so that the end points sit clear of the y axis.
  const inset = 24;
  const px = (x: number) => margin.left + inset + (hi === lo ? plotW / 2 - inset : ((Math.log(x) - lo) / (hi - lo)) * (plotW - 2 * inset));
  const ys = series.flatMap((s) => s.points.map((p) => p.y)).filter(Number.isFinite);
  const step = niceStep(Math.max(1, ...ys) * 1.05);
  const top = Math.ceil((Math.max(1, ...ys) * 1.05) / step) * step;
  const py = (y: number) => margin.top + plotH - (y / top) * plotH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${margin.left + plotW / 2}" y="22" text-anchor="middle" font-size="15">${escape(title)}</text>`,
  ];
  for (let y = 0; y <= top + step / 2; y += step) {
    out.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/>`);
    out.push(`<text x="${margin.left - 8}" y="${py(y) + 4}" text-anchor="end">${Math.round(y).toLocaleString("en-US")}</text>`);
  }
  for (const x of xs) out.push(`<text x="${px(x)}" y="${margin.top + plotH + 18}" text-anchor="middle">${x}</text>`);
  out.push(`<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${margin.top + plotH}" y2="${margin.top + plotH}" stroke="black"/>`);
  out.push(`<line x1="${margin.left}" x2="${margin.left}" y1="${margin.top}" y2="${margin.top + plotH}" stroke="black"/>`);
  out.push(`<text x="${margin.left + plotW / 2}" y="${height - 14}" text-anchor="middle">concurrent clients (closed loop, log scale)</text>`);
  out.push(`<text transform="translate(18 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">writes/s (median of rounds)</text>`);
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => Number.isFinite(p.y));
    if (pts.length > 1) out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map((p) => `${px(p.x)},${py(p.y)}`).join(" ")}"/>`);
    for (const p of pts) out.push(`<circle cx="${px(p.x)}" cy="${py(p.y)}" r="3.5" fill="${s.color}"/>`);
    const ly = margin.top + 10 + i * 22;
    out.push(`<line x1="${width - margin.right + 16}" x2="${width - margin.right + 40}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`);
    out.push(`<text x="${width - margin.right + 46}" y="${ly + 4}">${escape(s.name)}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
