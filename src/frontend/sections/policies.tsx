/**
 * Policies: every field of `Policies` (src/policies/policies.ts) with what it does in plain words.
 * Cheap checks run in the page (a regex that does not compile is refused with the engine's
 * reason); the server validates the whole document again and its problems are shown next to
 * the fields by path.
 */
import React, { useEffect, useState } from 'react';
import {
  Button,
  Checkbox,
  ErrorMessage,
  Heading,
  HelperMessage,
  Inline,
  Label,
  RadioGroup,
  SectionMessage,
  Spinner,
  Stack,
  Text,
  TextArea,
  Textfield,
} from '@forge/react';
import type { PolicyProblem } from '../../policies/policies';
import { describeFailure } from '../format';
import { invoke } from '../invoke';
import { PolicyForm, fromForm, problemsAt, toForm, unplacedProblems } from '../policy-form';
import { Failure } from './failure';

type FieldEvent = { target: { value?: unknown; checked?: boolean } };

/** Every path a field of this form shows problems for. */
const PATHS = [
  'linking',
  'deactivation.action',
  'deactivation.restoreMemberships',
  'deletion',
  'protectedAccounts.accountIds',
  'protectedAccounts.emails',
  'protectedAccounts.admins',
  'newUsers.defaultGroups',
  'newUsers.productAccess',
  'groups.nameMap',
  'groups.rewrite',
  'groups.prefix',
  'groups.createUnknown',
  'groups.onExistingName',
  'seatCap',
  'dryRun',
  'drift',
] as const;

const DEACTIVATION_OPTIONS = [
  {
    name: 'deactivation',
    value: 'suspend',
    label: 'Suspend the account (it keeps its groups; restored on return)',
  },
  {
    name: 'deactivation',
    value: 'remove-product-access',
    label: 'Remove product access (leave every group that grants a product)',
  },
  { name: 'deactivation', value: 'none', label: 'Do nothing in Atlassian (the log notes it)' },
];
const DELETION_OPTIONS = [
  ...DEACTIVATION_OPTIONS.map((option) => ({ ...option, name: 'deletion' })),
  {
    name: 'deletion',
    value: 'remove-from-directory',
    label: "Remove from the organization's directory (the account itself is never deleted)",
  },
];
const EXISTING_OPTIONS = [
  { name: 'onExistingName', value: 'adopt', label: 'Adopt it: the app manages it from now on' },
  { name: 'onExistingName', value: 'report', label: 'Report the conflict and leave it alone' },
];
const DRIFT_OPTIONS = [
  { name: 'drift', value: 'repair', label: 'Repair it (put back what the identity provider says)' },
  { name: 'drift', value: 'report', label: 'Only report it in the Activity tab' },
];

function Problems({ problems, path }: { problems: readonly PolicyProblem[]; path: string }) {
  return (
    <>
      {problemsAt(problems, path).map((reason) => (
        <ErrorMessage key={reason}>{reason}</ErrorMessage>
      ))}
    </>
  );
}

export function PoliciesSection() {
  const [form, setForm] = useState<PolicyForm | undefined>();
  const [source, setSource] = useState<string | undefined>();
  const [problems, setProblems] = useState<PolicyProblem[]>([]);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    invoke('getPolicies')
      .then((result) => {
        setForm(toForm(result.policies));
        setSource(result.source);
      })
      .catch((failure: unknown) => setError(describeFailure(failure)));
  }, []);

  if (!form) {
    return error ? (
      <Failure title="Could not read the policies" message={error} />
    ) : (
      <Spinner label="Loading the policies" />
    );
  }

  const update = (patch: Partial<PolicyForm>) => {
    // Functional: two changes before the next render must not overwrite each other.
    setForm((current) => current && { ...current, ...patch });
    setSaved(false);
  };
  // A text field's value, or a radio group's (the options give only the values the form allows).
  const text = (name: keyof PolicyForm) => (event: FieldEvent) =>
    update({ [name]: String(event.target.value ?? '') });
  const check = (name: keyof PolicyForm) => (event: FieldEvent) =>
    update({ [name]: Boolean(event.target.checked) });

  const save = async () => {
    const local = fromForm(form);
    setProblems(local.problems);
    setError(undefined);
    setSaved(false);
    if (local.problems.length > 0) return;
    setBusy(true);
    try {
      const result = await invoke('savePolicies', { policies: local.policies });
      if (result.ok) {
        setForm(toForm(result.policies));
        setSource('admin');
        setSaved(true);
      } else {
        setProblems(result.problems);
      }
    } catch (failure) {
      setError(describeFailure(failure));
    } finally {
      setBusy(false);
    }
  };

  const elsewhere = unplacedProblems(problems, PATHS);
  return (
    <Stack space="space.200">
      <Text>
        {source === 'file'
          ? 'These policies come from the policies file; saving here stores them in the app instead.'
          : source === 'default'
            ? 'These are the defaults: nothing has been changed yet.'
            : 'What the app does in Atlassian for each change the identity provider sends.'}
      </Text>
      <Failure title="The policies were not saved" message={error} />
      {problems.length > 0 ? (
        <SectionMessage appearance="error" title="Some values need fixing">
          <Text>{`${problems.length} problem${problems.length === 1 ? '' : 's'}: see the fields marked below.`}</Text>
          {elsewhere.map((problem) => (
            <Text key={`${problem.path}:${problem.reason}`}>{`${problem.path}: ${problem.reason}`}</Text>
          ))}
        </SectionMessage>
      ) : null}
      {saved ? (
        <SectionMessage appearance="success" title="Policies saved">
          <Text>
            They apply from the next sync run; a changed group name applies on the next full reconcile.
          </Text>
        </SectionMessage>
      ) : null}

      <Heading size="small">Linking</Heading>
      <Checkbox
        name="linkExistingByEmail"
        label="Link an existing Atlassian account with the same e-mail instead of inviting"
        isChecked={form.linkExistingByEmail}
        onChange={check('linkExistingByEmail')}
      />
      <HelperMessage>
        Off: such an account is reported as a conflict and left alone. Once linked, the link is by account, so
        an e-mail change at the identity provider keeps it.
      </HelperMessage>
      <Problems problems={problems} path="linking" />

      <Heading size="small">When the identity provider deactivates a user</Heading>
      <RadioGroup
        name="deactivation"
        options={DEACTIVATION_OPTIONS}
        value={form.deactivationAction}
        onChange={text('deactivationAction')}
      />
      <Problems problems={problems} path="deactivation.action" />
      <Checkbox
        name="restoreMemberships"
        label="On reactivation, put the user back in the groups it had"
        isChecked={form.restoreMemberships}
        onChange={check('restoreMemberships')}
      />
      <HelperMessage>Entra does not send the memberships again when it reactivates a user.</HelperMessage>
      <Problems problems={problems} path="deactivation.restoreMemberships" />

      <Heading size="small">When the identity provider deletes a user</Heading>
      <RadioGroup
        name="deletion"
        options={DELETION_OPTIONS}
        value={form.deletionAction}
        onChange={text('deletionAction')}
      />
      <HelperMessage>An Atlassian account is never deleted.</HelperMessage>
      <Problems problems={problems} path="deletion" />

      <Heading size="small">Protected accounts</Heading>
      <Text>Organization and site admins are always protected: the app never changes them.</Text>
      <Label labelFor="protected-emails">Also never touch these e-mail addresses (one a line)</Label>
      <TextArea
        id="protected-emails"
        name="protectedEmails"
        value={form.protectedEmails}
        onChange={text('protectedEmails')}
      />
      <Problems problems={problems} path="protectedAccounts.emails" />
      <Label labelFor="protected-accounts">... and these Atlassian account IDs (one a line)</Label>
      <TextArea
        id="protected-accounts"
        name="protectedAccountIds"
        value={form.protectedAccountIds}
        onChange={text('protectedAccountIds')}
      />
      <Problems problems={problems} path="protectedAccounts.accountIds" />
      <Problems problems={problems} path="protectedAccounts.admins" />

      <Heading size="small">New users</Heading>
      <Label labelFor="default-groups">Atlassian groups every new user joins (one a line)</Label>
      <TextArea
        id="default-groups"
        name="defaultGroups"
        value={form.defaultGroups}
        onChange={text('defaultGroups')}
      />
      <Problems problems={problems} path="newUsers.defaultGroups" />
      <Label labelFor="product-access">Product access every new user gets (one a line)</Label>
      <TextArea
        id="product-access"
        name="productAccess"
        value={form.productAccess}
        onChange={text('productAccess')}
      />
      <HelperMessage>
        A product (jira-software, jira-servicedesk, confluence, bitbucket...), optionally followed by a role,
        e.g. "confluence atlassian/user".
      </HelperMessage>
      <Problems problems={problems} path="newUsers.productAccess" />

      <Heading size="small">Group names</Heading>
      <Label labelFor="name-map">Map these identity-provider groups to these Atlassian groups</Label>
      <TextArea id="name-map" name="nameMap" value={form.nameMap} onChange={text('nameMap')} />
      <HelperMessage>One a line: "Engineering =&gt; jira-engineering". Applied first, exactly.</HelperMessage>
      <Problems problems={problems} path="groups.nameMap" />
      <Label labelFor="rewrite-pattern">Rewrite other names with a regular expression</Label>
      <Textfield
        id="rewrite-pattern"
        name="rewritePattern"
        value={form.rewritePattern}
        onChange={text('rewritePattern')}
      />
      <Label labelFor="rewrite-replacement">Replacement ($1 for the first group)</Label>
      <Textfield
        id="rewrite-replacement"
        name="rewriteReplacement"
        value={form.rewriteReplacement}
        onChange={text('rewriteReplacement')}
      />
      <Label labelFor="rewrite-flags">Flags (i for case-insensitive)</Label>
      <Textfield
        id="rewrite-flags"
        name="rewriteFlags"
        value={form.rewriteFlags}
        onChange={text('rewriteFlags')}
      />
      <HelperMessage>
        JavaScript syntax, e.g. "^sg-(.*)$" replaced by "$1". Leave the pattern empty for none.
      </HelperMessage>
      <Problems problems={problems} path="groups.rewrite" />
      <Label labelFor="prefix">Prefix added to every name the map does not cover</Label>
      <Textfield id="prefix" name="prefix" value={form.prefix} onChange={text('prefix')} />
      <Problems problems={problems} path="groups.prefix" />
      <Checkbox
        name="createUnknown"
        label="Create groups that do not exist in Atlassian"
        isChecked={form.createUnknown}
        onChange={check('createUnknown')}
      />
      <HelperMessage>
        Off: such a group is reported and its members wait until someone creates it.
      </HelperMessage>
      <Problems problems={problems} path="groups.createUnknown" />
      <Text>When Atlassian already has a group of that name that the app did not create:</Text>
      <RadioGroup
        name="onExistingName"
        options={EXISTING_OPTIONS}
        value={form.onExistingName}
        onChange={(event: FieldEvent) =>
          update({ onExistingName: event.target.value === 'report' ? 'report' : 'adopt' })
        }
      />
      <Problems problems={problems} path="groups.onExistingName" />

      <Heading size="small">Seat cap</Heading>
      <Label labelFor="seat-cap">Users the app may have active in Atlassian</Label>
      <Textfield id="seat-cap" name="seatCap" value={form.seatCap} onChange={text('seatCap')} />
      <HelperMessage>Beyond it, new users wait as pending and the log says why. Empty: no cap.</HelperMessage>
      <Problems problems={problems} path="seatCap" />

      <Heading size="small">Dry run</Heading>
      <Checkbox
        name="dryRun"
        label="Plan and log every Atlassian change without making it"
        isChecked={form.dryRun}
        onChange={check('dryRun')}
      />
      <HelperMessage>
        The Activity tab then shows the plan (status "planned"). Nothing changes in Atlassian.
      </HelperMessage>
      <Problems problems={problems} path="dryRun" />

      <Heading size="small">Changes made by hand in Atlassian</Heading>
      <RadioGroup
        name="drift"
        options={DRIFT_OPTIONS}
        value={form.driftAction}
        onChange={(event: FieldEvent) =>
          update({ driftAction: event.target.value === 'report' ? 'report' : 'repair' })
        }
      />
      <HelperMessage>
        Checked by the daily full reconcile, or at once with "Reconcile now" on the Activity tab.
      </HelperMessage>
      <Problems problems={problems} path="drift" />

      <Inline>
        <Button appearance="primary" isDisabled={busy} onClick={() => void save()}>
          Save policies
        </Button>
      </Inline>
    </Stack>
  );
}
