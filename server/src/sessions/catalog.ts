// The labs the server offers, loaded once at start, and whether this host can run each one.
import { loadLabs } from '../labs/loader.js';
import { orderLabs } from '../labs/order.js';
import type { LoadedLab } from '../labs/schema.js';
import { unmet } from '../sandbox/capabilities.js';
import type { ProviderRegistry } from '../sandbox/registry.js';
import type { Capabilities, ProviderName } from '../sandbox/types.js';

export interface CatalogEntry extends LoadedLab {
  available: boolean;
  unavailableReason?: string;
}

export class Catalog {
  private byId = new Map<string, CatalogEntry>();
  problems: string[] = [];

  constructor(private readonly providers: ProviderRegistry) {}

  private loaded: LoadedLab[] = [];
  private refreshing: Promise<void> | undefined;

  async load(paths: string[]): Promise<void> {
    const { labs, problems } = await loadLabs(paths);
    this.problems = problems.filter((p) => p.severity === 'error').map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`);
    this.loaded = labs;
    await this.refresh();
  }

  /** recomputes availability from the providers' capabilities (the registry caches them) */
  refresh(): Promise<void> {
    this.refreshing ??= this.compute().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async compute(): Promise<void> {
    const caps = new Map<ProviderName, Capabilities | string>();
    const capsOf = async (name: ProviderName): Promise<Capabilities | string> => {
      if (!caps.has(name)) {
        try {
          caps.set(name, await this.providers.capabilities(name));
        } catch (err) {
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
  }

  get(id: string): CatalogEntry | undefined {
    return this.byId.get(id);
  }

  /** every lab, in learning order (labs/order.ts) */
  all(): CatalogEntry[] {
    return orderLabs([...this.byId.values()]);
  }
}
