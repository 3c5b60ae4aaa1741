import { RaftError, isRaftError, isSnapshotId, snapshotStoreRules, type Logger } from "@raft/core/contracts";
import type { Layout } from "./layout.js";
import { decodeManifest, type StoredManifest } from "./manifest-object.js";
import { length, type Received } from "./reception-state.js";
import type { S3Access } from "./s3.js";
const { newestFirst } = snapshotStoreRules;

/** Keys of a stored manifest that failed validation: its data is kept (as a quarantine) until it is removed by hand. */
const tokenInText = /data\/[A-Za-z0-9_-]{1,64}\/([0-9a-f]{24})\//g;

/**
 * The committed snapshots under a store's prefix, as their manifests say:
 * read from S3, validated, and cached (a manifest never changes; a pruned one
 * leaves at the next listing). A manifest that fails validation is logged
 * once, left out, and the objects it names are kept. A reception takes the
 * files it needs from them when they hold the same bytes.
 */
export class ManifestCatalog {
  /** Valid manifests seen, by id. */
  private readonly manifests = new Map<string, StoredManifest>();
  /** Manifests that failed validation, by key: their ETag, and the writer tokens they name (kept from cleanup). */
  private readonly invalid = new Map<string, { etag: string; tokens: Set<string> }>();

  constructor(
    private readonly s3: S3Access,
    private readonly layout: Layout,
    private readonly logger: Logger,
  ) {}

  has(id: string): boolean {
    return this.manifests.has(id);
  }

  /** A manifest this store has just published. */
  remember(stored: StoredManifest): void {
    this.manifests.set(stored.meta.id, stored);
  }

  /** A snapshot this store has just pruned. */
  forget(id: string): void {
    this.manifests.delete(id);
  }

  /** The committed snapshot `id`, from the cache or S3; `undefined` if there is none. */
  async find(id: string): Promise<StoredManifest | undefined> {
    if (!isSnapshotId(id)) return undefined;
    const cached = this.manifests.get(id);
    if (cached !== undefined) return cached;
    const stored = await this.fetch(this.layout.manifest(id), id);
    if (stored !== undefined) this.manifests.set(id, stored);
    return stored;
  }

  async stored(id: string): Promise<StoredManifest> {
    const stored = await this.find(id);
    if (stored === undefined) throw new RaftError("NotFound", `no snapshot ${JSON.stringify(id)}`);
    return stored;
  }

  /** Reads and validates a manifest; one that fails is logged (once), left out, and its data kept. */
  async fetch(key: string, id: string, etag = ""): Promise<StoredManifest | undefined> {
    const bytes = await this.s3.getBytes(key);
    if (bytes === undefined) return undefined;
    try {
      const stored = decodeManifest(bytes, id, this.s3.url(key));
      this.invalid.delete(key);
      return stored;
    } catch (e) {
      if (!isRaftError(e, "Corrupt")) throw e;
      const text = new TextDecoder().decode(bytes);
      const tokens = new Set([...text.matchAll(tokenInText)].map((m) => m[1] as string));
      if (this.invalid.get(key)?.etag !== etag || etag === "") {
        this.logger.warn("snapshot store: a manifest failed validation; the snapshot is not served and its objects are kept", { key: this.s3.url(key), error: e.message });
      }
      this.invalid.set(key, { etag, tokens });
      return undefined;
    }
  }

  /** Every committed snapshot under the prefix (any owner's), newest first. */
  async list(): Promise<StoredManifest[]> {
    const seen = new Set<string>();
    const out: StoredManifest[] = [];
    for await (const o of this.s3.list(this.layout.snapshots)) {
      const id = this.layout.idOfManifest(o.key);
      if (id === undefined) continue;
      seen.add(id);
      let stored = this.manifests.get(id);
      if (stored === undefined) {
        const bad = this.invalid.get(o.key);
        if (bad !== undefined && bad.etag === o.etag) continue;
        stored = await this.fetch(o.key, id, o.etag);
        if (stored === undefined) continue;
        this.manifests.set(id, stored);
      }
      out.push(stored);
    }
    for (const id of this.manifests.keys()) if (!seen.has(id)) this.manifests.delete(id);
    for (const key of this.invalid.keys()) if (!seen.has(this.layout.idOfManifest(key) ?? "")) this.invalid.delete(key);
    return out.sort((a, b) => newestFirst(a.meta, b.meta));
  }

  /** Tokens of this owner that a committed (or invalid, kept) manifest names. */
  async referencedTokens(): Promise<Set<string>> {
    const tokens = new Set<string>();
    for (const s of await this.list()) {
      for (const ref of s.objects.values()) {
        const token = this.layout.tokenOf(this.layout.prefix + ref.key);
        if (token !== undefined) tokens.add(token);
      }
    }
    for (const bad of this.invalid.values()) for (const t of bad.tokens) tokens.add(t);
    return tokens;
  }

  /** Files a reception needs that a committed snapshot holds (same name, size, SHA-256) are taken from it: no bytes move. */
  async takeHeld(files: Map<string, Received>): Promise<boolean> {
    const wanted = [...files.values()].filter((f) => f.kind === "parts" && f.spec.size > 0 && length(f) === 0 && f.uploadId === undefined);
    if (wanted.length === 0) return false;
    let took = false;
    const committed = await this.list();
    for (const f of wanted) {
      for (const s of committed) {
        const spec = s.meta.files.find((g) => g.name === f.spec.name && g.size === f.spec.size && g.sha256 === f.spec.sha256);
        const ref = spec === undefined ? undefined : s.objects.get(spec.name);
        if (ref === undefined) continue;
        Object.assign(f, { kind: "object", objectKey: this.layout.prefix + ref.key, etag: ref.etag, sha256: f.spec.sha256 });
        took = true;
        break;
      }
    }
    return took;
  }
}
