/**
 * DOM helpers of the dashboard. Updates write only what changed: a value that
 * is re-set to the same text causes no layout, no repaint and no flicker.
 */

export const DASH = "\u2014";

/** Creates an element; children are nodes or strings. Data never goes through innerHTML. */
export function h(tag: string, attrs: Record<string, string> = {}, children: (Node | string)[] = []): HTMLElement {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

export function setText(node: Element | null, text: string): void {
  if (node !== null && node.textContent !== text) node.textContent = text;
}

export function setAttr(node: Element | null, name: string, value: string): void {
  if (node !== null && node.getAttribute(name) !== value) node.setAttribute(name, value);
}

/** The element of `root` marked `data-field="name"`; the markup is ours, so a missing one is a bug. */
export function field<T extends Element = HTMLElement>(root: ParentNode, name: string): T {
  const found = root.querySelector<T>(`[data-field="${name}"]`);
  if (found === null) throw new Error(`no [data-field="${name}"]`);
  return found;
}

export function element<T extends Element = HTMLElement>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (found === null) throw new Error(`no ${selector} in the page`);
  return found;
}

export function isNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

export function formatNumber(value: unknown): string {
  return isNumber(value) ? String(value) : DASH;
}

/** Binary units, as snapshot sizes are file sizes: 1536 -> "1.5 KiB". */
export function formatBytes(bytes: unknown): string {
  if (!isNumber(bytes) || bytes < 0) return DASH;
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 ? 0 : value < 10 ? 1 : 0;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

export function formatRate(perSecond: unknown): string {
  if (!isNumber(perSecond)) return "0";
  return perSecond < 10 ? perSecond.toFixed(1) : String(Math.round(perSecond));
}

/** The smallest of 1, 2, 5 x 10^k that is at least value, so the axis reads in round numbers. */
export function niceCeiling(value: number): number {
  if (!(value > 1)) return 1;
  const magnitude = Math.pow(10, Math.floor(Math.log10(value)));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

/** A host:port label for a node URL; the full URL stays in the title attribute. */
export function hostLabel(url: string | null): string {
  if (typeof url !== "string") return "no address";
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
