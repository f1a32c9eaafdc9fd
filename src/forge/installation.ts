/**
 * State a function instance may keep between invocations, kept apart per installation.
 *
 * Forge serves invocations of several installations (customers) from one warm process, and
 * the Node module cache is not cleared between them (`tenant-data-isolation`): a module-level
 * variable is shared by every customer the process serves. So nothing here that depends on a
 * customer (a token cache, an admin check, the web trigger URL, the app with its storage
 * caches) lives at module level: each is built by `perInstallation`, once per installation
 * the process serves, and found again by the invocation's own installation (its app context,
 * which the platform sets per invocation). Account IDs are global across sites: they never
 * identify a customer on their own.
 *
 * test/forge/module-state.test.ts fails when code Forge loads keeps other module-level state.
 */
import { getAppContext } from '@forge/api';

/** The installation the current invocation runs for (Forge's app context). */
export function installationId(): string {
  const id = getAppContext().installationAri.installationId;
  if (!id) throw new Error('No installation in the Forge app context: called outside an invocation?');
  return id;
}

/**
 * How many installations' state one function instance keeps. A process serves few customers at
 * a time; the least recently used state is rebuilt when it is needed again.
 */
const MAX_INSTALLATIONS = 32;

/**
 * `build`, run once per installation and remembered for it: the function returned answers the
 * calling invocation's installation's own value.
 */
export function perInstallation<T>(build: () => T): () => T {
  // Keyed by installation, in insertion order: the first entry is the least recently used.
  const byInstallation = new Map<string, T>();
  return () => {
    const id = installationId();
    let value = byInstallation.get(id);
    if (value === undefined) {
      value = build();
      if (byInstallation.size >= MAX_INSTALLATIONS) {
        const oldest = byInstallation.keys().next();
        if (!oldest.done) byInstallation.delete(oldest.value);
      }
    } else {
      byInstallation.delete(id);
    }
    byInstallation.set(id, value);
    return value;
  };
}
