/** The /Users endpoint (RFC 7644 §3). */
import { emptyResponse, jsonResponse, ScimRequest, ScimResponse } from '../http';
import { applyAttributeOperations } from '../patch/apply';
import { readPatchRequest } from '../patch/request';
import { userResourceType } from '../schema/definitions';
import { normalizeResource, requireAttribute, ScimObject } from '../schema/normalize';
import { Projection } from '../schema/project';
import {
  asksForRepresentation,
  checkIfMatch,
  EndpointContext,
  isNotModified,
  mapLimit,
  projectionOf,
  readJson,
  resourceResponse,
} from './common';
import { ListParams, listResponse } from './listing';
import { etag, location, renderUser } from './render';
import { search } from './search';
import type { StoredResource } from '../store';

const type = userResourceType;

export class UsersEndpoint {
  constructor(private readonly context: EndpointContext) {}

  private get users() {
    return this.context.store.users;
  }

  async list(request: ScimRequest, params: ListParams): Promise<ScimResponse> {
    const projection = Projection.parse(type, params.attributes, params.excludedAttributes);
    const { total, items } = params.filter
      ? await search(
          {
            collection: this.users,
            type,
            represent: (stored) => renderUser(stored, request.baseUrl),
            unfilterable: {
              groups: 'Users cannot be filtered by groups; GET /Groups/{id} lists the members of a group.',
            },
            scanLimit: this.context.scanLimit,
          },
          params.filter,
          params.startIndex,
          params.count,
        )
      : await this.users.page(params.startIndex, params.count);
    const groups = projection.wants('groups')
      ? await mapLimit(items, 8, (user) => this.groupsOf(user.id, request.baseUrl))
      : [];
    const resources = items.map((user, i) => projection.apply(renderUser(user, request.baseUrl, groups[i])));
    return jsonResponse(200, listResponse(resources, total, params.startIndex));
  }

  async get(request: ScimRequest, id: string): Promise<ScimResponse> {
    const user = await this.users.require(id);
    // A user's version covers its own attributes, not its group memberships (versioned on the
    // groups), so a response with "groups" is never answered from the client's cache.
    const withGroups = projectionOf(request, type).wants('groups');
    if (!withGroups && isNotModified(request, user)) return emptyResponse(304, { etag: etag(user.version) });
    return this.respond(request, 200, user);
  }

  async create(request: ScimRequest): Promise<ScimResponse> {
    const doc = normalizeResource(type, readJson(request));
    requireAttribute(doc, 'userName', 'A user');
    const user = await this.users.create(doc);
    return this.respond(request, 201, user, { location: location(request.baseUrl, '/Users', user.id) });
  }

  /**
   * PUT replaces the user (RFC 7644 §3.5.1), with one deliberate exception: a PUT without
   * `active` keeps the current value. Okta's full-object PUTs leave it out, and reading its
   * absence as "false" would suspend people (https://developer.okta.com/docs/reference/scim/scim-20/).
   */
  async replace(request: ScimRequest, id: string): Promise<ScimResponse> {
    const doc = normalizeResource(type, readJson(request));
    requireAttribute(doc, 'userName', 'A user');
    const user = await this.users.update(id, (current) => {
      checkIfMatch(request, current);
      const next: ScimObject = { ...doc };
      if (next.active === undefined && current.doc.active !== undefined) next.active = current.doc.active;
      return { doc: next };
    });
    return this.respond(request, 200, user);
  }

  /** PATCH answers 204 unless the client asked for attributes (RFC 7644 §3.5.2). */
  async patch(request: ScimRequest, id: string): Promise<ScimResponse> {
    const operations = readPatchRequest(readJson(request));
    const user = await this.users.update(id, (current) => {
      checkIfMatch(request, current);
      const doc = applyAttributeOperations(type, current.doc, operations);
      requireAttribute(doc, 'userName', 'A user');
      return { doc };
    });
    if (!asksForRepresentation(request)) return emptyResponse(204, { etag: etag(user.version) });
    return this.respond(request, 200, user);
  }

  /** Deletes the user; the store takes its memberships with it (RFC 7644 §3.6). */
  async delete(request: ScimRequest, id: string): Promise<ScimResponse> {
    await this.users.delete(id, (current) => checkIfMatch(request, current));
    return emptyResponse(204);
  }

  private async respond(
    request: ScimRequest,
    status: number,
    user: StoredResource,
    headers: Record<string, string> = {},
  ): Promise<ScimResponse> {
    const projection = projectionOf(request, type);
    const groups = projection.wants('groups') ? await this.groupsOf(user.id, request.baseUrl) : undefined;
    return resourceResponse(status, renderUser(user, request.baseUrl, groups), user, projection, headers);
  }

  /** The user's groups (a computed, read-only attribute). */
  private async groupsOf(userId: string, baseUrl: string): Promise<ScimObject[]> {
    const groups: ScimObject[] = [];
    for await (const groupId of this.users.groupsOf(userId)) {
      const group = await this.context.store.groups.get(groupId);
      // A membership of a group deleted moments ago may outlive it until the purge job runs.
      if (!group) continue;
      groups.push({
        value: group.id,
        $ref: location(baseUrl, '/Groups', group.id),
        display: group.doc.displayName,
        type: 'direct',
      });
    }
    return groups;
  }
}
