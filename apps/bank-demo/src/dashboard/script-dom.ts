/**
 * Browser-side helpers of the dashboard script (plain JavaScript, inlined into
 * the page, so no build step). Updates write only what changed: a value that is
 * re-set to the same text causes no layout, no repaint and no flicker.
 * No template literals here: the source is itself inside one.
 */
export const domScript = String.raw`
const SVG_NS = "http://www.w3.org/2000/svg";
const DASH = "\u2014";

/** Creates an element; children are nodes or strings. Data never goes through innerHTML. */
function h(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  for (const child of children || []) node.append(child);
  return node;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

function setAttr(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}

function field(root, name) {
  return root.querySelector('[data-field="' + name + '"]');
}

function isNumber(value) {
  return typeof value === "number" && Number.isFinite(value);
}

function formatNumber(value) {
  return isNumber(value) ? String(value) : DASH;
}

/** Binary units, as snapshot sizes are file sizes: 1536 -> "1.5 KiB". */
function formatBytes(bytes) {
  if (!isNumber(bytes) || bytes < 0) return DASH;
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 ? 0 : value < 10 ? 1 : 0;
  return value.toFixed(digits) + " " + units[unit];
}

function formatRate(perSecond) {
  if (!isNumber(perSecond)) return "0";
  return perSecond < 10 ? perSecond.toFixed(1) : String(Math.round(perSecond));
}

/** The smallest of 1, 2, 5 x 10^k that is at least value, so the axis reads in round numbers. */
function niceCeiling(value) {
  if (!(value > 1)) return 1;
  const magnitude = Math.pow(10, Math.floor(Math.log10(value)));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

/** A host:port label for a node URL; the full URL stays in the title attribute. */
function hostLabel(url) {
  if (typeof url !== "string") return "no address";
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
`;
