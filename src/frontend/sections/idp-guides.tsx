/** The step-by-step guide of the identity provider the admin picks (data: ../idp-guides.ts). */
import React, { useState } from 'react';
import { DynamicTable, Heading, Label, List, ListItem, Select, Stack, Text } from '@forge/react';
import { ConnectionValues, IDP_GUIDES, findGuide, guideFields } from '../idp-guides';

interface Option {
  label: string;
  value: string;
}

const OPTIONS: Option[] = IDP_GUIDES.map((guide) => ({ label: guide.name, value: guide.id }));

export function IdpGuides({ values }: { values: ConnectionValues }) {
  const [id, setId] = useState(IDP_GUIDES[0].id);
  const guide = findGuide(id);
  return (
    <Stack space="space.150">
      <Heading size="small">Set up your identity provider</Heading>
      <Label labelFor="idp-guide">Identity provider</Label>
      <Select
        inputId="idp-guide"
        options={OPTIONS}
        value={OPTIONS.find((option) => option.value === guide.id)}
        onChange={(option: Option | null) => setId(option?.value ?? IDP_GUIDES[0].id)}
      />
      <Heading size="xsmall">{guide.name}</Heading>
      <List type="ordered">
        {guide.steps.map((step) => (
          <ListItem key={step}>
            <Text>{step}</Text>
          </ListItem>
        ))}
      </List>
      <DynamicTable
        caption={`Fields in ${guide.name}`}
        head={{
          cells: [
            { key: 'field', content: `Field in ${guide.name}` },
            { key: 'value', content: 'What to enter' },
          ],
        }}
        rows={guideFields(guide, values).map(({ field, value }) => ({
          key: field,
          cells: [
            { key: 'field', content: field },
            { key: 'value', content: value },
          ],
        }))}
      />
      {guide.notes.map((note) => (
        <Text key={note}>{note}</Text>
      ))}
    </Stack>
  );
}
