/** The /Groups endpoint (RFC 7644 §3), with memberships kept outside the group record. */
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
import { noChanges, renderMembers, replaceWith, resolveMembers, splitGroupPatch } from './members';
import { etag, location, renderGroup } from './render';
import { search } from './search';
import type { StoredResource } from '../store';

const type = groupResourceType;

export class GroupsEndpoint {
  constructor(private readonly context: EndpointContext) {}

  private get groups() {
    return this.context.store.groups;
  }

  async list(request: ScimRequest, params: ListParams): Promise<ScimResponse> {
    const projection = Projection.parse(type, params.attributes, params.excludedAttributes);
    const { total, items } = params.filter
      ? await search(
          {
            collection: this.groups,
            type,
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
    const members = projection.wants('members') ? await renderMembers(this.groups, items) : undefined;
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
    const resolved = await resolveMembers(
      this.context.store,
      undefined,
      members ?? noChanges(),
      this.context.logger,
    );
    const group = await this.groups.create(doc, resolved);
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
      return {
        doc,
        members: await resolveMembers(this.context.store, current, members, this.context.logger),
      };
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
      return {
        doc,
        members: await resolveMembers(this.context.store, current, members, this.context.logger),
      };
    });
    if (!asksForRepresentation(request)) return emptyResponse(204, { etag: etag(group.version) });
    return this.respond(request, 200, group);
  }

  /** Deletes the group; the store purges its memberships (in the background, for a big one). */
  async delete(request: ScimRequest, id: string): Promise<ScimResponse> {
    await this.groups.delete(id, (current) => checkIfMatch(request, current));
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
      ? (await renderMembers(this.groups, [group])).get(group.id)
      : undefined;
    return resourceResponse(status, renderGroup(group, request.baseUrl, members), group, projection, headers);
  }
}
