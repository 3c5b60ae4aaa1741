/** A value as reports show it when the model does not describe it: JSON where possible, `?` for unknown. */
export function formatValue(value: unknown): string {
  if (value === undefined) return "?";
  if (typeof value === "bigint") return `${value}n`;
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${formatValue(k)}: ${formatValue(v)}`).join(", ")}}`;
  if (value instanceof Set) return `{${[...value].map(formatValue).join(", ")}}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value); // cycles
  }
}
