/**
 * What to do when "Test connection" fails, by the kind of failure the resolver reports
 * (AtlassianError kinds, or `not-configured`) and the credential mode. The resolver's message
 * says what Atlassian answered and `missing` names the permission; this says where to fix it.
 */
export function connectionTestAdvice(kind: string, mode: 'org' | 'site' = 'org'): string {
  const site = mode === 'site';
  switch (kind) {
    case 'not-configured':
      return site
        ? "Enter the site URL, the site admin's e-mail and an API token, then press Save."
        : 'Enter the organization ID and the API key, then press Save.';
    case 'forbidden':
      return site
        ? 'The e-mail and token must belong to a site admin (Administer Jira): create a token at id.atlassian.com → Security → API tokens while signed in as one, and save it here.'
        : 'The key is wrong, expired or revoked, or lacks organization admin rights: create a new API key in admin.atlassian.com (Settings → API keys) as an organization admin and save it here.';
    case 'not-found':
      return site
        ? 'Check the site URL (https://<your-site>.atlassian.net) and that the site has a Jira product.'
        : 'The organization or directory was not found: check the organization ID (admin.atlassian.com, in the URL after /o/) and clear the directory ID to let the app find it.';
    case 'invalid':
      return site
        ? 'Atlassian refused the request: check the site URL and the e-mail.'
        : 'Atlassian refused the request: check the organization ID and the API base URL.';
    case 'transient':
      return 'Atlassian did not answer in time: try again in a minute.';
    case 'unsupported':
      return 'This credential cannot manage users: use an organization API key.';
    default:
      return 'Check the connection fields and the credential, then try again.';
  }
}
