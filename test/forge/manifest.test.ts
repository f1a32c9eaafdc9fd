/**
 * The manifest passes Forge's own offline validation, and declares exactly the storage
 * entities the code (and the local store that enforces them) uses.
 */
import fs from 'node:fs';
import path from 'node:path';
import { validate } from '@forge/manifest';
import { ENTITIES } from '../../src/entities';

const MANIFEST = path.resolve(__dirname, '../../manifest.yml');

interface ManifestEntity {
  name: string;
  attributes: Record<string, { type: string }>;
  indexes?: ({ name: string; range: string[]; partition?: string[] } | string)[];
}

describe('manifest.yml', () => {
  it("passes @forge/manifest's full offline validation", async () => {
    const result = await validate(false, MANIFEST);
    expect(result.errors ?? []).toEqual([]);
    expect(result.success).toBe(true);
  });

  it('uses a Forge runtime of Node 22 or newer', async () => {
    const result = await validate(false, MANIFEST);
    const runtime = (result.manifestObject?.typedContent as { app: { runtime: { name: string } } }).app
      .runtime.name;
    expect(['nodejs22.x', 'nodejs24.x']).toContain(runtime);
  });

  it('declares the storage entities of src/entities.ts (the directory and the sync)', async () => {
    const result = await validate(false, MANIFEST);
    const declared = (
      result.manifestObject?.typedContent as { app: { storage: { entities: ManifestEntity[] } } }
    ).app.storage.entities;
    const normalized = declared.map((entity) => ({
      name: entity.name,
      attributes: Object.fromEntries(Object.entries(entity.attributes).map(([k, v]) => [k, v.type])),
      indexes: (entity.indexes ?? []).map((index) =>
        typeof index === 'string'
          ? { name: index, range: [index] }
          : {
              name: index.name,
              range: index.range,
              ...(index.partition ? { partition: index.partition } : {}),
            },
      ),
    }));
    expect(normalized).toEqual(ENTITIES);
  });

  it('points every function handler at an existing module', () => {
    const text = fs.readFileSync(MANIFEST, 'utf8');
    for (const [, file] of text.matchAll(/handler:\s*([\w/-]+)\.\w+/g)) {
      expect(fs.existsSync(path.resolve(__dirname, '../../src', `${file}.ts`))).toBe(true);
    }
  });
});
