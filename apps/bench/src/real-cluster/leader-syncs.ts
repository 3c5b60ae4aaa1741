// Durable log syncs per client write on the bank leader, from its Prometheus
// metrics scraped when a measured window opens and when it closes.
import { getText } from "./http-post.js";

interface NodeSample {
  leader: boolean;
  /** raft_log_syncs_total; undefined when the node does not export it (an older build). */
  syncs: number | undefined;
}

/** The value of an unlabelled sample, or of a labelled one written out in full (`name{label="v"}`). */
function sample(text: string, series: string): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith(`${series} `))
      return Number(
        line
          .slice(series.length + 1)
          .trim()
          .split(" ")[0],
      );
  }
  return undefined;
}

async function scrape(url: string): Promise<NodeSample | undefined> {
  try {
    const { status, body } = await getText(`${url}/metrics`);
    if (status !== 200) return undefined;
    return { leader: sample(body, 'raft_role{role="leader"}') === 1, syncs: sample(body, "raft_log_syncs_total") };
  } catch {
    return undefined;
  }
}

/** Scrapes every node at both ends of the window; the leader is the node that led at both. */
export class LeaderSyncs {
  private before: (NodeSample | undefined)[] = [];
  private after: (NodeSample | undefined)[] = [];

  constructor(private readonly urls: readonly string[]) {}

  async atStart(): Promise<void> {
    this.before = await Promise.all(this.urls.map(scrape));
  }

  async atEnd(): Promise<void> {
    this.after = await Promise.all(this.urls.map(scrape));
  }

  /** Δ syncs on the leader / `writes`; NaN when there was no single leader or no counter. */
  perWrite(writes: number): number {
    const i = this.urls.findIndex((_, k) => this.before[k]?.leader === true && this.after[k]?.leader === true);
    const from = this.before[i]?.syncs;
    const to = this.after[i]?.syncs;
    if (i < 0 || from === undefined || to === undefined || writes === 0) return Number.NaN;
    return (to - from) / writes;
  }
}
