/**
 * One storage contract, two adapters: the local store and ForgeEntityStore through the real
 * @forge/kvs client on the offline Forge runtime must answer alike.
 */
import { LocalEntityStore } from '../../src/local/entity-store';
import { parseManifest } from '../../src/local/forge-runtime/manifest';
import type { ForgeEntityStore } from '../../src/forge/kvs-store';
import { createTestRuntime } from '../support/forge-runtime';
import { CONTRACT_ENTITIES, describeEntityStoreContract } from './entity-store-contract';

/** A manifest declaring the contract's entities, the way manifest.yml declares the directory's. */
const manifest = parseManifest({
  permissions: { scopes: ['storage:app'] },
  app: {
    storage: {
      entities: CONTRACT_ENTITIES.map((entity) => ({
        name: entity.name,
        attributes: Object.fromEntries(Object.entries(entity.attributes).map(([k, type]) => [k, { type }])),
        indexes: entity.indexes,
      })),
    },
  },
});

describeEntityStoreContract('LocalEntityStore', async () => {
  const store = new LocalEntityStore(CONTRACT_ENTITIES);
  return { store, size: (entity) => store.size(entity), close: async () => undefined };
});

describeEntityStoreContract('ForgeEntityStore on the offline Forge runtime', async () => {
  const test = createTestRuntime({ manifest });
  const { ForgeEntityStore: Store } = test.load<{ ForgeEntityStore: typeof ForgeEntityStore }>(
    '../../src/forge/kvs-store',
  );
  return { store: new Store(), size: (entity) => test.runtime.store.size(entity), close: () => test.close() };
});
