/** The organization's product-access groups, read at most once per run (a run is one batch of minutes). */
import type { AtlassianPort, ProductAccessGroup } from '../../atlassian/port';
import type { AtlassianCalls } from '../atlassian-calls';

export class ProductAccessGroups {
  private groups: Promise<ProductAccessGroup[]> | undefined;

  constructor(private readonly port: AtlassianPort) {}

  /** A failed read is asked again by the next caller. */
  read(calls: AtlassianCalls): Promise<ProductAccessGroup[]> {
    this.groups ??= calls.read('productAccessGroups', () => this.port.productAccessGroups());
    this.groups.catch(() => (this.groups = undefined));
    return this.groups;
  }
}
