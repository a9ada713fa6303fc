/** Loading of the -client-cert / -client-key / -client-ca-keys files for HTTP backends. */
import { readFile } from 'node:fs/promises';
import { ConfdError, ErrorCode, errorMessage } from '../errors.js';

/** TlsFiles are the TLS flag values (file paths); empty strings count as unset. */
export interface TlsFiles {
  clientCert?: string | undefined;
  clientKey?: string | undefined;
  clientCaKeys?: string | undefined;
}

/** TlsMaterial is what undici's `connect` options take. */
export interface TlsMaterial {
  cert?: Buffer;
  key?: Buffer;
  ca?: Buffer;
}

async function load(flag: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new ConfdError(
      ErrorCode.CONFIG_INVALID,
      `cannot read ${flag} file ${path}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

/**
 * loadTlsFiles reads the configured files. As confd, a client certificate is used only when both
 * cert and key are given; the CA file is used on its own.
 */
export async function loadTlsFiles(files: TlsFiles): Promise<TlsMaterial | undefined> {
  const material: TlsMaterial = {};
  if (files.clientCert && files.clientKey) {
    material.cert = await load('-client-cert', files.clientCert);
    material.key = await load('-client-key', files.clientKey);
  }
  if (files.clientCaKeys) material.ca = await load('-client-ca-keys', files.clientCaKeys);
  return Object.keys(material).length > 0 ? material : undefined;
}
