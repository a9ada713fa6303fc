/**
 * Snapshot encoding of the catalog sub-state: plain JSON data the engine embeds in its snapshot
 * file, and a validating decoder that refuses anything malformed with STORE_CORRUPT.
 */
import { ConfdError, ErrorCode } from '../../errors.js';
import { CatalogState, type CatalogSnapshotData } from './catalog-state.js';
import { isCheckStatus } from './types.js';

/** encodeCatalog captures the catalog as JSON-serialisable data. */
export function encodeCatalog(state: CatalogState): CatalogSnapshotData {
  return state.toSnapshot();
}

function corrupt(what: string): ConfdError {
  return new ConfdError(ErrorCode.STORE_CORRUPT, `catalog snapshot: ${what}`);
}

function isIndex(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function isRow(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    isIndex((v as Record<string, unknown>).createIndex) &&
    isIndex((v as Record<string, unknown>).modifyIndex)
  );
}

/** decodeCatalog rebuilds a catalog from {@link encodeCatalog} data (undefined = empty catalog). */
export function decodeCatalog(data: unknown): CatalogState {
  if (data === undefined || data === null) return new CatalogState();
  if (typeof data !== 'object') throw corrupt('not an object');
  const d = data as Record<string, unknown>;
  for (const k of ['nodesIndex', 'servicesIndex', 'checksIndex', 'lastExtinction']) {
    if (!isIndex(d[k])) throw corrupt(`bad ${k}`);
  }
  for (const k of ['serviceIndexes', 'nodes', 'services', 'checks']) {
    if (!Array.isArray(d[k])) throw corrupt(`bad ${k}`);
  }
  for (const e of d.serviceIndexes as unknown[]) {
    if (!Array.isArray(e) || typeof e[0] !== 'string' || !isIndex(e[1])) {
      throw corrupt('bad service index');
    }
  }
  for (const n of d.nodes as unknown[]) {
    if (!isRow(n) || typeof n.node !== 'string' || typeof n.address !== 'string') {
      throw corrupt('bad node row');
    }
  }
  for (const s of d.services as unknown[]) {
    if (
      !isRow(s) ||
      typeof s.node !== 'string' ||
      typeof s.id !== 'string' ||
      typeof s.service !== 'string' ||
      !Array.isArray(s.tags)
    ) {
      throw corrupt('bad service row');
    }
  }
  for (const c of d.checks as unknown[]) {
    if (
      !isRow(c) ||
      typeof c.node !== 'string' ||
      typeof c.checkId !== 'string' ||
      !isCheckStatus(c.status)
    ) {
      throw corrupt('bad check row');
    }
  }
  return CatalogState.fromSnapshot(d as unknown as CatalogSnapshotData);
}
