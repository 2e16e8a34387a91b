/** A small cache of analyses keyed by document and version (and the options used). */
import type { Analysis } from './analyse';

/** Remembers the last analysis per document; a new version or new options replace it. */
export class AnalysisCache<T = Analysis> {
  private readonly entries = new Map<string, { version: number; key: string; value: T }>();

  constructor(private readonly maxDocuments = 64) {}

  /** The cached value for this version and options key, else compute and keep it. */
  get(doc: string, version: number, key: string, compute: () => T): T {
    const hit = this.entries.get(doc);
    if (hit && hit.version === version && hit.key === key) return hit.value;
    const value = compute();
    this.set(doc, version, key, value);
    return value;
  }

  /** Keep a value computed elsewhere (e.g. in slices) as this document's current one. */
  set(doc: string, version: number, key: string, value: T): void {
    this.entries.delete(doc);
    this.entries.set(doc, { version, key, value });
    if (this.entries.size > this.maxDocuments) this.entries.delete(this.entries.keys().next().value!);
  }

  /** The cached value if it is current, without computing. */
  peek(doc: string, version: number, key: string): T | undefined {
    const hit = this.entries.get(doc);
    return hit && hit.version === version && hit.key === key ? hit.value : undefined;
  }

  /** Forget one document, or all. */
  clear(doc?: string): void {
    if (doc === undefined) this.entries.clear();
    else this.entries.delete(doc);
  }
}
