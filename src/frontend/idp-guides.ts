/**
 * Step-by-step setup of each identity provider, with the exact names its admin console gives
 * the fields (from each vendor's documentation; README.md "Identity-provider tolerance" and
 * test/idp/ say what each one sends). Data only: the SCIM connection tab renders it, and
 * `guideFields` fills in this installation's values.
 */

/** What goes into a field: one of this installation's values, or a fixed choice. */
export type GuideValue = { from: 'baseUrl' | 'host' | 'path' | 'token' } | { literal: string };

export interface GuideField {
  /** The field's label as the identity provider's console shows it. */
  field: string;
  value: GuideValue;
}

export interface IdpGuide {
  id: string;
  name: string;
  /** In order; each a short instruction naming the console's menus and buttons. */
  steps: string[];
  fields: GuideField[];
  /** What this identity provider does differently, and what to expect. */
  notes: string[];
}

const baseUrl: GuideValue = { from: 'baseUrl' };
const token: GuideValue = { from: 'token' };

export const IDP_GUIDES: readonly IdpGuide[] = [
  {
    id: 'miniorange',
    name: 'miniOrange',
    steps: [
      'In the miniOrange admin console, open Apps and click Add Application.',
      'Search for SCIM, pick the SCIM provisioning app and give it a name.',
      'Open its Provisioning tab and fill in the fields below.',
      'Under Provisioning, switch on Create User, Update User, Deactivate/Delete User and, for groups, Create Group, Update Group, Delete Group and Add/Remove Group Membership.',
      'Map the attributes: userName, name.givenName, name.familyName, emails[type eq "work"].value, displayName, active; for groups, Group Name to displayName.',
      'Save, then assign users or groups to the app. Each change is pushed at once.',
    ],
    fields: [
      { field: 'Application Name', value: { literal: 'Atlassian (SCIM)' } },
      { field: 'SCIM Base URL', value: baseUrl },
      { field: 'SCIM Bearer Token', value: token },
    ],
    notes: [
      'miniOrange deprovisions by deleting the user, or by removing it from the app; the Policies tab decides what that does in Atlassian.',
    ],
  },
  {
    id: 'entra',
    name: 'Microsoft Entra ID',
    steps: [
      'In the Entra admin center, open Enterprise applications and click New application, then Create your own application.',
      'Name it, choose "Integrate any other application you don\'t find in the gallery (Non-gallery)" and click Create.',
      'Open Provisioning, click Get started and set Provisioning Mode to Automatic.',
      'Under Admin Credentials fill in the fields below and click Test Connection, then Save.',
      'Under Mappings keep the user and group mappings; under Settings set Scope to "Sync only assigned users and groups".',
      'Assign users and groups under Users and groups, then set Provisioning Status to On.',
    ],
    fields: [
      { field: 'Tenant URL', value: baseUrl },
      { field: 'Secret Token', value: token },
    ],
    notes: [
      'Entra provisions in cycles of about 40 minutes; "Provision on demand" pushes one user at once.',
      'Entra sends active=false on unassignment and deletes 30 days later. It does not send group memberships again on reactivation: the "restore memberships" policy puts them back.',
    ],
  },
  {
    id: 'okta',
    name: 'Okta',
    steps: [
      'In the Okta admin console, open Applications, click Create App Integration, pick SAML 2.0 and finish the wizard (SSO can stay unused).',
      'On the General tab click Edit, select SCIM under Provisioning and save.',
      'On the Provisioning tab, open Integration, click Edit and fill in the fields below; click Test Connector Configuration, then Save.',
      'Under Provisioning → To App click Edit and enable Create Users, Update User Attributes and Deactivate Users.',
      'Assign people on the Assignments tab; push groups on the Push Groups tab.',
    ],
    fields: [
      { field: 'SCIM connector base URL', value: baseUrl },
      { field: 'Unique identifier field for users', value: { literal: 'userName' } },
      {
        field: 'Supported provisioning actions',
        value: { literal: 'Push New Users, Push Profile Updates, Push Groups' },
      },
      { field: 'Authentication Mode', value: { literal: 'HTTP Header' } },
      { field: 'Authorization (Bearer)', value: token },
    ],
    notes: [
      'Okta never deletes users: unassigning or deactivating sends active=false, so the deactivation policy applies.',
      'A pushed group whose name exists in Atlassian is adopted or reported as the "existing group" policy says.',
    ],
  },
  {
    id: 'onelogin',
    name: 'OneLogin',
    steps: [
      'In OneLogin administration, open Applications, click Add App and pick "SCIM Provisioner with SAML (SCIM v2 Enterprise)".',
      'Save it, open the Configuration tab, fill in the fields below and click Enable under API Connection.',
      'On the Provisioning tab tick Enable provisioning and choose what happens when a user is deleted or loses access (Delete, Suspend or Do nothing).',
      'On the Parameters tab open Groups, tick "Include in User Provisioning" and make it multi-value.',
      'Under Users, click Refresh Entitlements so OneLogin reads the groups; add Rules that "Set Groups in" this app.',
    ],
    fields: [
      { field: 'SCIM Base URL', value: baseUrl },
      { field: 'SCIM Bearer Token', value: token },
      { field: 'SCIM JSON Template', value: { literal: 'keep the default' } },
    ],
    notes: ['Provisioning actions can wait for approval in OneLogin (Pending) before they are sent.'],
  },
  {
    id: 'google',
    name: 'Google Workspace',
    steps: [
      'In the Google Admin console, open Apps → Web and mobile apps and open (or add) the custom SAML app for Atlassian.',
      'Open Auto-provisioning, click Configure auto-provisioning and fill in the fields below.',
      'Map the attributes (userName to Primary email) and choose the organizational units or groups in scope.',
      'Choose the deprovisioning triggers (suspended, removed from the app, deleted) and switch auto-provisioning on.',
    ],
    fields: [
      { field: 'Endpoint URL', value: baseUrl },
      { field: 'Access token', value: token },
    ],
    notes: [
      'Google provisions users every few hours and often pushes no groups: manage memberships with the default groups policy, or in Atlassian.',
      'Auto-provisioning for custom apps is not offered on every Workspace edition.',
    ],
  },
  {
    id: 'keycloak',
    name: 'Keycloak',
    steps: [
      "Keycloak has no SCIM client of its own: install the keycloak-scim extension in the server's providers folder.",
      'Under Realm settings → Events (Event listeners), add scim and save.',
      'Open User Federation, click Add provider and pick scim; fill in the fields below and save.',
      'Optionally enable periodic full sync; leave the import action at "Nothing" (never "Delete Remote").',
    ],
    fields: [
      { field: 'SCIM 2.0 endpoint', value: baseUrl },
      { field: 'Endpoint content type', value: { literal: 'application/scim+json' } },
      { field: 'Auth mode', value: { literal: 'BEARER' } },
      { field: 'Auth password/token', value: token },
    ],
    notes: [
      'Keycloak updates with PUT and sends the full member list of a group each time; a deleted Keycloak user is deleted here too, and the deletion policy applies.',
    ],
  },
  {
    id: 'jumpcloud',
    name: 'JumpCloud',
    steps: [
      'In the JumpCloud admin portal, open SSO Applications, click Add New Application and pick Custom Application.',
      'Select "Export users to this app (Identity Management)", name the app and save it, then click Configure Application.',
      'On the Identity Management tab choose SCIM 2.0, fill in the fields below and click Test Connection, then Activate and Save.',
      'On the User Groups tab select the groups to provision.',
    ],
    fields: [
      { field: 'Base URL', value: baseUrl },
      { field: 'Token Key', value: token },
      { field: 'Test User Email', value: { literal: 'an e-mail address not used by anyone yet' } },
    ],
    notes: [
      'Test Connection creates a test user and group, then deletes them: they appear on the Activity tab.',
      'JumpCloud takes over an Atlassian group of the same name when the "existing group" policy is adopt.',
    ],
  },
  {
    id: 'oracle',
    name: 'Oracle Identity Cloud (IDCS / OCI IAM)',
    steps: [
      'In the Oracle Cloud console open Identity → Domains → Integrated applications, click Add application and pick Application Catalog.',
      'Search for GenericScim and add "GenericScim - Bearer Token".',
      'Name it, click Next, tick Enable Provisioning and fill in Configure Connectivity with the fields below.',
      'Click Test Connectivity, choose the provisioning operations (create, update, deactivate, delete) and save; then assign users and groups.',
    ],
    fields: [
      { field: 'Host Name', value: { from: 'host' } },
      { field: 'Base URI', value: { from: 'path' } },
      { field: 'Access Token', value: token },
    ],
    notes: ['Oracle asks for the host and the path apart: both are shown above the guides.'],
  },
  {
    id: 'custom',
    name: 'Any other SCIM 2.0 client',
    steps: [
      'Point the client at the SCIM base URL: it calls /Users, /Groups, /ServiceProviderConfig, /Schemas and /ResourceTypes below it.',
      'Authenticate every request with the header "Authorization: Bearer <token>".',
      'Send application/scim+json (application/json also works); filter users by userName or externalId, groups by displayName.',
    ],
    fields: [
      { field: 'Base URL', value: baseUrl },
      { field: 'Authorization header', value: { literal: 'Bearer <the token>' } },
    ],
    notes: ['The endpoint follows RFC 7643/7644; its /ServiceProviderConfig says what is supported.'],
  },
];

export interface ConnectionValues {
  baseUrl: string;
  host: string;
  path: string;
}

/** What the token field says: the page never holds a token except the one just generated. */
export const TOKEN_PLACEHOLDER = 'the bearer token generated above (shown once)';

/** The guide's fields with this installation's values in place. */
export function guideFields(guide: IdpGuide, values: ConnectionValues): { field: string; value: string }[] {
  return guide.fields.map(({ field, value }) => ({
    field,
    value:
      'literal' in value ? value.literal : value.from === 'token' ? TOKEN_PLACEHOLDER : values[value.from],
  }));
}

export function findGuide(id: string): IdpGuide {
  return IDP_GUIDES.find((guide) => guide.id === id) ?? IDP_GUIDES[0];
}
