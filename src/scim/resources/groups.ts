/** The /Groups endpoint (RFC 7644 §3), with memberships kept outside the group record. */
import type { StoredResource } from '../../directory/collection';
import type { IndexedAttribute } from '../filter/plan';
import { emptyResponse, jsonResponse, ScimRequest, ScimResponse } from '../http';
import { applyAttributeOperations } from '../patch/apply';
import { readPatchRequest } from '../patch/request';
import { groupResourceType } from '../schema/definitions';
import { isPlainObject, normalizeResource, requireAttribute, ScimObject } from '../schema/normalize';
import { Projection } from '../schema/project';
import {
  asksForRepresentation,
  checkIfMatch,
  EndpointContext,
  isNotModified,
  projectionOf,
  readJson,
  resourceResponse,
} from './common';
import { ListParams, listResponse } from './listing';
import {
  membershipOperations,
  noChanges,
  renderMembers,
  replaceWith,
  resolveMembers,
  splitGroupPatch,
} from './members';
import { etag, location, renderGroup } from './render';
import { search } from './search';

const type = groupResourceType;

export const GROUP_INDEXES: IndexedAttribute[] = [
  { path: 'id', lookup: 'id' },
  { path: 'displayName', lookup: 'index', index: 'by-display-name', folded: true, prefix: true },
  { path: 'externalId', lookup: 'index', index: 'by-external-id', prefix: true },
];

export class GroupsEndpoint {
  constructor(private readonly context: EndpointContext) {}

  private get groups() {
    return this.context.directory.groups;
  }

  async list(request: ScimRequest, params: ListParams): Promise<ScimResponse> {
    const projection = Projection.parse(type, params.attributes, params.excludedAttributes);
    const { total, items } = params.filter
      ? await search(
          {
            directory: this.context.directory,
            collection: this.groups,
            type,
            indexed: GROUP_INDEXES,
            represent: (stored) => renderGroup(stored, request.baseUrl),
            unfilterable: {
              members:
                "Groups cannot be filtered by members; GET /Users/{id}?attributes=groups lists a user's groups.",
            },
            scanLimit: this.context.scanLimit,
          },
          params.filter,
          params.startIndex,
          params.count,
        )
      : await this.groups.page(params.startIndex, params.count);
    const members = projection.wants('members')
      ? await renderMembers(this.context.directory, items)
      : undefined;
    const resources = items.map((group) =>
      projection.apply(renderGroup(group, request.baseUrl, members?.get(group.id))),
    );
    return jsonResponse(200, listResponse(resources, total, params.startIndex));
  }

  async get(request: ScimRequest, id: string): Promise<ScimResponse> {
    const group = await this.groups.require(id);
    if (isNotModified(request, group)) return emptyResponse(304, { etag: etag(group.version) });
    return this.respond(request, 200, group);
  }

  async create(request: ScimRequest): Promise<ScimResponse> {
    const body = readJson(request);
    const { doc, members } = this.readGroup(body);
    const { directory, logger } = this.context;
    const resolved = await resolveMembers(directory, undefined, members ?? noChanges(), logger);
    const group = await this.groups.create(doc, (created) =>
      membershipOperations(directory, created, resolved),
    );
    return this.respond(request, 201, group, { location: location(request.baseUrl, '/Groups', group.id) });
  }

  /**
   * PUT replaces the group. A body without "members" keeps the members (renaming a group
   * by PUT must not empty it); "members": [] empties it.
   */
  async replace(request: ScimRequest, id: string): Promise<ScimResponse> {
    const { doc, members } = this.readGroup(readJson(request));
    const group = await this.groups.update(id, async (current) => {
      checkIfMatch(request, current);
      if (!members) return { doc };
      const resolved = await resolveMembers(this.context.directory, current, members, this.context.logger);
      return { doc, operations: membershipOperations(this.context.directory, current, resolved) };
    });
    return this.respond(request, 200, group);
  }

  /** Group PATCH answers 204 unless attributes were asked for: member lists can be huge. */
  async patch(request: ScimRequest, id: string): Promise<ScimResponse> {
    const { attributeOperations, members } = splitGroupPatch(readPatchRequest(readJson(request)));
    const group = await this.groups.update(id, async (current) => {
      checkIfMatch(request, current);
      const doc = applyAttributeOperations(type, current.doc, attributeOperations);
      requireAttribute(doc, 'displayName', 'A group');
      const resolved = await resolveMembers(this.context.directory, current, members, this.context.logger);
      return { doc, operations: membershipOperations(this.context.directory, current, resolved) };
    });
    if (!asksForRepresentation(request)) return emptyResponse(204, { etag: etag(group.version) });
    return this.respond(request, 200, group);
  }

  async delete(request: ScimRequest, id: string): Promise<ScimResponse> {
    const { directory } = this.context;
    await this.groups.delete(id, (current) => {
      checkIfMatch(request, current);
      // The memberships are purged by a durable job: a group of 35,000 members cannot be
      // emptied within one web trigger invocation, and nobody can see them once it is gone.
      return [directory.jobs.purgeGroupOperation(current)];
    });
    directory.jobsPending();
    return emptyResponse(204);
  }

  private readGroup(body: unknown): { doc: ScimObject; members?: ReturnType<typeof replaceWith> } {
    const normalized = normalizeResource(type, body);
    const { members: _members, ...doc } = normalized;
    requireAttribute(doc, 'displayName', 'A group');
    const raw = isPlainObject(body)
      ? Object.keys(body).find((k) => k.toLowerCase() === 'members')
      : undefined;
    const members = raw !== undefined && isPlainObject(body) ? replaceWith(body[raw]) : undefined;
    return { doc, members };
  }

  private async respond(
    request: ScimRequest,
    status: number,
    group: StoredResource,
    headers: Record<string, string> = {},
  ): Promise<ScimResponse> {
    const projection = projectionOf(request, type);
    const members = projection.wants('members')
      ? (await renderMembers(this.context.directory, [group])).get(group.id)
      : undefined;
    return resourceResponse(status, renderGroup(group, request.baseUrl, members), group, projection, headers);
  }
}
