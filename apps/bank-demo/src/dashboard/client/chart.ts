/**
 * Commit-rate tracking and its SVG chart. The rate is derived in the page
 * from the cluster's highest commitIndex, so the server needs no extra
 * endpoint. It is measured over a short span rather than between two polls,
 * because one late poll would otherwise show as a spike and a dip.
 */
import { formatRate, niceCeiling, setAttr, setText } from "./dom.js";

const CHART_WINDOW_MS = 60_000;
const RATE_SPAN_MS = 2000;
// Over a shorter span, the jitter of one poll's timing shows as a spike.
const MIN_RATE_SPAN_MS = 1000;
const CHART_WIDTH = 600;
const CHART_HEIGHT = 160;

export interface RatePoint {
  t: number;
  rate: number;
}

export interface CommitRate {
  readonly rates: RatePoint[];
  latest(): number;
  record(now: number, commitIndex: number): void;
}

/** Samples of (time, highest commit) and the rate series derived from them. */
export function createCommitRate(): CommitRate {
  const samples: { t: number; commit: number }[] = [];
  const rates: RatePoint[] = [];
  return {
    rates,
    latest() {
      return rates.at(-1)?.rate ?? 0;
    },
    record(now, commitIndex) {
      samples.push({ t: now, commit: commitIndex });
      while (samples.length > 2 && (samples[1]?.t ?? now) <= now - RATE_SPAN_MS) samples.shift();
      const first = samples[0];
      if (first !== undefined && now - first.t >= MIN_RATE_SPAN_MS) {
        // A restarted cluster can report a lower commit; that is no negative throughput.
        const rate = Math.max(0, commitIndex - first.commit) / ((now - first.t) / 1000);
        rates.push({ t: now, rate });
      }
      while (rates.length > 0 && (rates[0]?.t ?? now) < now - CHART_WINDOW_MS) rates.shift();
    },
  };
}

export function renderChart(svg: SVGSVGElement, rates: readonly RatePoint[], now: number): void {
  const yMax = niceCeiling(Math.max(1, ...rates.map((r) => r.rate)));
  const points = rates.map((r) => {
    const x = CHART_WIDTH - ((now - r.t) / CHART_WINDOW_MS) * CHART_WIDTH;
    const y = CHART_HEIGHT - (r.rate / yMax) * CHART_HEIGHT;
    return { x: x.toFixed(1), y: y.toFixed(1) };
  });
  const line = points.length === 0 ? "" : `M${points.map((p) => `${p.x},${p.y}`).join("L")}`;
  const first = points[0];
  const last = points.at(-1);
  const area = points.length < 2 || first === undefined || last === undefined ? "" : `${line}L${last.x},${CHART_HEIGHT}L${first.x},${CHART_HEIGHT}Z`;
  setAttr(svg.querySelector(".line"), "d", line);
  setAttr(svg.querySelector(".area"), "d", area);
  setAttr(svg, "data-samples", String(points.length));
  setText(document.querySelector('[data-axis="max"]'), String(yMax));
  setText(document.querySelector('[data-axis="mid"]'), formatRate(yMax / 2));
}
