/**
 * The backend registry: the one place that maps a -backend name to its implementation, as confd's
 * `backends.New` switch. Per-backend default nodes (confd §1.2) live here too.
 */
import { ConfdError, ErrorCode } from '../errors.js';
import type { Store } from '../store/types.js';
import type { Backend, BackendConfig, BackendDeps } from './types.js';

/** SupportedBackends are the -backend names this build implements. */
export const SupportedBackends = [
  'consul',
  'etcd',
  'etcdv3',
  'env',
  'file',
  'redis',
  'embedded',
] as const;

/** SupportedBackend is one of {@link SupportedBackends}. */
export type SupportedBackend = (typeof SupportedBackends)[number];

/** UnsupportedConfdBackends are confd backends this build does not have. */
export const UnsupportedConfdBackends = [
  'zookeeper',
  'rancher',
  'vault',
  'dynamodb',
  'ssm',
] as const;

/** DefaultNodes are confd's per-backend default nodes, used when no -node is given (confd §1.2). */
export const DefaultNodes = {
  consul: ['127.0.0.1:8500'],
  /** Unless $ETCDCTL_PEERS is set: see {@link defaultNodesFor}. */
  etcd: ['http://127.0.0.1:4001'],
  etcdv3: ['127.0.0.1:2379'],
  redis: ['127.0.0.1:6379'],
} as const;

/**
 * defaultNodesFor returns the nodes confd uses for `backend` when none are given: etcd takes
 * `$ETCDCTL_PEERS` split on `,` when set; backends without nodes get `[]`.
 */
export function defaultNodesFor(
  backend: string,
  env: Readonly<Record<string, string | undefined>> = {},
): string[] {
  if (backend === 'etcd' && env.ETCDCTL_PEERS) return env.ETCDCTL_PEERS.split(',');
  if (Object.hasOwn(DefaultNodes, backend)) {
    return [...DefaultNodes[backend as keyof typeof DefaultNodes]];
  }
  return [];
}

/** isSupportedBackend tells whether `name` is a backend this build implements. */
export function isSupportedBackend(name: string): name is SupportedBackend {
  return (SupportedBackends as readonly string[]).includes(name);
}

/** consulBasicAuth resolves -basic-auth -username -password, else env CONSUL_HTTP_AUTH (user:pass). */
function consulBasicAuth(
  config: BackendConfig,
  env: Readonly<Record<string, string | undefined>>,
): { username: string; password: string } | undefined {
  if (config.basicAuth) return { username: config.username ?? '', password: config.password ?? '' };
  const auth = env.CONSUL_HTTP_AUTH;
  if (!auth) return undefined;
  const colon = auth.indexOf(':');
  return colon < 0
    ? { username: auth, password: '' }
    : { username: auth.slice(0, colon), password: auth.slice(colon + 1) };
}

/**
 * createBackend builds the backend named by `config.backend`. Unknown names fail with
 * BACKEND_UNSUPPORTED `Invalid backend` (confd's FATAL text); confd backends we do not have fail
 * with `backend <name> is not supported`. `embedded` needs `deps.store`.
 */
export async function createBackend(
  config: BackendConfig,
  deps: BackendDeps & { store?: Store },
): Promise<Backend> {
  const name = config.backend;
  if ((UnsupportedConfdBackends as readonly string[]).includes(name)) {
    throw new ConfdError(ErrorCode.BACKEND_UNSUPPORTED, `backend ${name} is not supported`);
  }
  if (!isSupportedBackend(name)) {
    throw new ConfdError(ErrorCode.BACKEND_UNSUPPORTED, 'Invalid backend');
  }
  const nodes = config.nodes.length > 0 ? config.nodes : defaultNodesFor(name, deps.env);
  const tlsFiles = {
    clientCert: config.clientCert,
    clientKey: config.clientKey,
    clientCaKeys: config.clientCaKeys,
  };
  const basicAuth = config.basicAuth
    ? { username: config.username ?? '', password: config.password ?? '' }
    : undefined;
  switch (name) {
    // Each backend module is imported only when chosen: start-up stays lean and ioredis, undici
    // and chokidar load only for the backends that use them.
    case 'consul': {
      const { createConsulBackend } = await import('./consul.js');
      // confd ignores -auth-token for consul (issue #146); we send it, else $CONSUL_HTTP_TOKEN.
      return createConsulBackend({
        ...tlsFiles,
        node: nodes[0] ?? DefaultNodes.consul[0],
        scheme: config.scheme,
        token: config.authToken || deps.env.CONSUL_HTTP_TOKEN || undefined,
        basicAuth: consulBasicAuth(config, deps.env),
        logger: deps.logger,
      });
    }
    case 'etcd':
    case 'etcdv3': {
      const { createEtcdBackend } = await import('./etcd.js');
      return createEtcdBackend({ ...tlsFiles, nodes, basicAuth, logger: deps.logger, name });
    }
    case 'env': {
      const { createEnvBackend } = await import('./env.js');
      return createEnvBackend({ env: deps.env });
    }
    case 'file': {
      const { createFileBackend } = await import('./file.js');
      return createFileBackend({ files: config.files, filter: config.filter, logger: deps.logger });
    }
    case 'redis': {
      const { createRedisBackend } = await import('./redis.js');
      // confd quirk: the redis password is the -client-key value.
      return createRedisBackend({
        nodes,
        password: config.clientKey,
        separator: config.separator,
        logger: deps.logger,
      });
    }
    case 'embedded': {
      if (!deps.store) {
        throw new ConfdError(
          ErrorCode.BACKEND_UNSUPPORTED,
          'backend embedded needs the bundled store (run it from the daemon with an agent)',
        );
      }
      const { createEmbeddedBackend } = await import('./embedded.js');
      return createEmbeddedBackend({ store: deps.store });
    }
  }
}
