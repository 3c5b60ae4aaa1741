/** A one-line progress bar on stderr, redrawn in place. */
export function drawProgress(label: string, done: number, total: number): void {
  const width = 30;
  const fraction = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(fraction * width);
  const mib = (n: number) => (n / (1 << 20)).toFixed(1);
  process.stderr.write(`\r${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%  ${mib(done)}/${mib(total)} MiB`);
}

export function endProgress(): void {
  process.stderr.write("\n");
}
