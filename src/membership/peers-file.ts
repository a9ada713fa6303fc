/**
 * What an agent remembers of its cluster across restarts, in `<data-dir>/serf/peers.json` (like
 * Serf's snapshot in `serf/local.snapshot`): the servers it last knew, and whether it left
 * gracefully. A restarted agent that did not leave rejoins those servers by itself; one that left
 * needs `-join`/`-retry-join` again (Consul's `rejoin_after_leave` false).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';

/** KnownServer is a server as an agent remembers it. */
export interface KnownServer {
  readonly name: string;
  readonly addr: string;
  /** Its serf LAN port (joins) and RPC port (requests). */
  readonly port: number;
  readonly rpcPort: number;
}

/** Peers is the remembered state. */
export interface Peers {
  readonly servers: readonly KnownServer[];
  readonly left: boolean;
}

/** PeersFile reads and writes {@link Peers}; absent = nothing remembered. */
export interface PeersFile {
  load(): Promise<Peers>;
  save(peers: Peers): Promise<void>;
}

const EMPTY: Peers = { servers: [], left: false };

function isKnownServer(v: unknown): v is KnownServer {
  const s = v as Partial<KnownServer> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.name === 'string' &&
    typeof s.addr === 'string' &&
    Number.isInteger(s.port) &&
    Number.isInteger(s.rpcPort)
  );
}

/** peersFile keeps the peers in `<dataDir>/serf/peers.json` (directory 0700, file 0600). */
export function peersFile(dataDir: string, logger: Logger): PeersFile {
  const dir = join(dataDir, 'serf');
  const path = join(dir, 'peers.json');
  return {
    async load() {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch {
        return EMPTY;
      }
      try {
        const data = JSON.parse(text) as { servers?: unknown; left?: unknown };
        const servers = Array.isArray(data.servers) ? data.servers.filter(isKnownServer) : [];
        return { servers, left: data.left === true };
      } catch (err) {
        logger.warn(`serf: ignoring unreadable ${path}: ${errorMessage(err)}`);
        return EMPTY;
      }
    },
    async save(peers) {
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await writeFile(`${path}.tmp`, `${JSON.stringify(peers)}\n`, { mode: 0o600 });
        await rename(`${path}.tmp`, path);
      } catch (err) {
        logger.warn(`serf: cannot write ${path}: ${errorMessage(err)}`);
      }
    },
  };
}

/** memoryPeers remembers nothing across restarts (`-dev`, tests). */
export function memoryPeers(): PeersFile {
  let peers = EMPTY;
  return {
    load: () => Promise.resolve(peers),
    save: (next) => {
      peers = next;
      return Promise.resolve();
    },
  };
}
