/**
 * The Atlassian name of a SCIM group, as the group-name policies say (src/sync/policies.ts):
 * the explicit map first, exactly; otherwise the regular-expression rewrite, then the prefix.
 * Pure, so the worker, the admin page's preview and the tests agree on every name.
 *
 * A name Atlassian would refuse (empty, longer than it allows) is answered as a refusal with
 * the reason, so the worker reports it instead of sending it.
 */
import type { Policies } from './policies';

/** Atlassian group names are at most 255 characters (Organizations API, Jira group API). */
export const MAX_GROUP_NAME = 255;

export type GroupName = { ok: true; name: string } | { ok: false; reason: string };

export function atlassianGroupName(displayName: string, policy: Policies['groups']): GroupName {
  const mapped = Object.prototype.hasOwnProperty.call(policy.nameMap, displayName)
    ? policy.nameMap[displayName]
    : undefined;
  let name: string;
  if (mapped !== undefined) {
    name = mapped.trim();
  } else {
    let rewritten = displayName;
    if (policy.rewrite) {
      const { pattern, replacement, flags } = policy.rewrite;
      try {
        rewritten = displayName.replace(new RegExp(pattern, flags ?? ''), replacement);
      } catch (error) {
        // Validated when saved; a document edited by hand may still hold a bad pattern.
        return { ok: false, reason: `the group-name rewrite /${pattern}/ is not valid: ${String(error)}` };
      }
    }
    rewritten = rewritten.trim();
    if (rewritten === '') {
      return { ok: false, reason: `"${displayName}" is empty after the group-name rewrite` };
    }
    name = `${policy.prefix}${rewritten}`.trim();
  }
  if (name === '') return { ok: false, reason: `"${displayName}" maps to an empty group name` };
  if (name.length > MAX_GROUP_NAME) {
    return {
      ok: false,
      reason: `"${name.slice(0, 40)}…" is ${name.length} characters; Atlassian allows at most ${MAX_GROUP_NAME}`,
    };
  }
  return { ok: true, name };
}
