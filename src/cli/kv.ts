/**
 * `confd kv <subcommand>`: the KV commands of the Consul CLI (`get`, `put`, `delete`, `export`,
 * `import`) against any Consul-compatible agent, ours included. Each subcommand lives in its own
 * `kv-<name>.ts` module and is loaded only when used.
 */
import type { CommandIo } from './io.js';

type Subcommand = (argv: string[], io: CommandIo) => Promise<number>;

const subcommands: Record<string, () => Promise<Subcommand>> = {
  get: async () => (await import('./kv-get.js')).runGet,
  put: async () => (await import('./kv-put.js')).runPut,
  delete: async () => (await import('./kv-delete.js')).runDelete,
  export: async () => (await import('./kv-export.js')).runExport,
  import: async () => (await import('./kv-import.js')).runImport,
};

const usage = `Usage: confd kv <subcommand> [options] [args]

  This command has subcommands for interacting with the key-value store.
  Here are some simple examples, and more detailed examples are available
  in the subcommands or the documentation.

  Create or update the key named "redis/config/connections" to "5":

      $ confd kv put redis/config/connections 5

  Read this value back:

      $ confd kv get redis/config/connections

  Or get detailed key information:

      $ confd kv get -detailed redis/config/connections

  Finally, delete the key:

      $ confd kv delete redis/config/connections

  The agent address comes from -http-addr or CONSUL_HTTP_ADDR
  (default 127.0.0.1:8500), the ACL token from -token or CONSUL_HTTP_TOKEN.
  For TLS use an https:// address (or CONSUL_HTTP_SSL=true) with -ca-file,
  -client-cert/-client-key and -tls-server-name as needed.

Subcommands:
    delete    Removes data from the KV store
    export    Exports a tree from the KV store as JSON
    get       Retrieves or lists data from the KV store
    import    Imports a tree stored as JSON to the KV store
    put       Sets or updates data in the KV store
`;

/** isHelpFlag tells whether an argument asks for help, as the Consul CLI framework sees it. */
function isHelpFlag(arg: string): boolean {
  return arg === '-h' || arg === '-help' || arg === '--help';
}

/** run is the entry point of `confd kv`; resolves to the process exit code. */
export async function run(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  const load =
    name !== undefined && Object.hasOwn(subcommands, name) ? subcommands[name] : undefined;
  if (!load) {
    // As the Consul CLI: `kv -h` prints the group's help (exit 0); a bare or unknown subcommand
    // prints it too, with exit 1.
    io.stdout(usage);
    return name !== undefined && isHelpFlag(name) ? 0 : 1;
  }
  // The Consul CLI framework (mitchellh/cli) answers -h/-help/--help anywhere before "--" with
  // the subcommand's help and exit 0, before the subcommand parses anything.
  const end = rest.indexOf('--');
  if ((end === -1 ? rest : rest.slice(0, end)).some(isHelpFlag)) {
    return (await load())(['-h'], io);
  }
  return (await load())(rest, io);
}
