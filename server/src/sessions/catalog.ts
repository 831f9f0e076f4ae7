// The labs the server offers, loaded once at start, and whether this host can run each one.
import { loadLabs } from '../labs/loader.js';
import { orderLabs } from '../labs/order.js';
import type { LoadedLab } from '../labs/schema.js';
import { unmet } from '../sandbox/capabilities.js';
import type { Capabilities, Provider, ProviderName } from '../sandbox/types.js';

export interface CatalogEntry extends LoadedLab {
  available: boolean;
  unavailableReason?: string;
}

export type ProviderSource = (name: ProviderName) => Promise<Provider>;

export class Catalog {
  private byId = new Map<string, CatalogEntry>();
  problems: string[] = [];

  constructor(private readonly providers: ProviderSource) {}

  private loaded: LoadedLab[] = [];
  private computedAt = 0;
  private failed = false;
  private refreshing: Promise<void> | undefined;

  async load(paths: string[]): Promise<void> {
    const { labs, problems } = await loadLabs(paths);
    this.problems = problems.filter((p) => p.severity === 'error').map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`);
    this.loaded = labs;
    await this.refresh(true);
  }

  /** recomputes availability from the providers' capabilities (cached; retried soon after a failure) */
  refresh(force = false): Promise<void> {
    const age = Date.now() - this.computedAt;
    if (!force && age < (this.failed ? 5_000 : 60_000)) return Promise.resolve();
    this.refreshing ??= this.compute().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async compute(): Promise<void> {
    const caps = new Map<ProviderName, Capabilities | string>();
    let failed = false;
    const capsOf = async (name: ProviderName): Promise<Capabilities | string> => {
      if (!caps.has(name)) {
        try {
          caps.set(name, await (await this.providers(name)).capabilities());
        } catch (err) {
          failed = true;
          caps.set(name, `the ${name} provider is not usable here: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      return caps.get(name)!;
    };
    const next = new Map<string, CatalogEntry>();
    for (const loaded of this.loaded) {
      const c = await capsOf(loaded.lab.environment.provider);
      let reason: string | undefined;
      if (typeof c === 'string') reason = c;
      else {
        const reasons = Object.values(unmet(c, loaded.lab.requires));
        if (reasons.length) reason = reasons.join('; ');
      }
      next.set(loaded.lab.id, { ...loaded, available: reason === undefined, ...(reason ? { unavailableReason: reason } : {}) });
    }
    this.byId = next;
    this.computedAt = Date.now();
    this.failed = failed;
  }

  get(id: string): CatalogEntry | undefined {
    return this.byId.get(id);
  }

  /** every lab, in learning order (labs/order.ts) */
  all(): CatalogEntry[] {
    return orderLabs([...this.byId.values()]);
  }
}
