/** Layout: Root, Stack, Inline, Box, Flex, Grid, Bleed and the reconciler's wrappers. */
import { Inline, Stack } from '@atlaskit/primitives';
import type { ComponentProps } from 'react';
import { pick } from '../events';
import type { HostComponent } from '../types';
import { styleOf, tokenValue } from './tokens';

type StackProps = ComponentProps<typeof Stack>;
type InlineProps = ComponentProps<typeof Inline>;

const BOX_TOKENS = [
  'padding',
  'paddingBlock',
  'paddingBlockStart',
  'paddingBlockEnd',
  'paddingInline',
  'paddingInlineStart',
  'paddingInlineEnd',
  'backgroundColor',
];

export const layout: Record<string, HostComponent> = {
  Root: ({ children }) => <div className="fh-root">{children}</div>,
  // DynamicTable's head and rows, Popup's content: drawn by their owner, else in place.
  ContentWrapper: ({ children }) => <>{children}</>,
  Stack: ({ props, children }) => (
    <Stack
      {...(pick(props, ['space', 'alignBlock', 'alignInline', 'grow', 'spread', 'testId']) as StackProps)}
    >
      {children}
    </Stack>
  ),
  Inline: ({ props, children }) => (
    <Inline
      {...(pick(props, [
        'space',
        'rowSpace',
        'alignBlock',
        'alignInline',
        'grow',
        'spread',
        'shouldWrap',
        'separator',
        'testId',
      ]) as InlineProps)}
    >
      {children}
    </Inline>
  ),
  Box: ({ props, children }) => (
    <div
      className="fh-box"
      data-testid={props.testId as string | undefined}
      style={{ ...styleOf(pick(props, BOX_TOKENS)), ...styleOf(props.xcss) }}
    >
      {children}
    </div>
  ),
  Flex: ({ props, children }) => (
    <div
      style={{
        display: 'flex',
        flexDirection: props.direction === 'column' ? 'column' : 'row',
        flexWrap: props.wrap === 'wrap' ? 'wrap' : 'nowrap',
        gap: tokenValue(props.gap),
        rowGap: tokenValue(props.rowGap),
        columnGap: tokenValue(props.columnGap),
        alignItems: props.alignItems as string | undefined,
        justifyContent: props.justifyContent as string | undefined,
        ...styleOf(props.xcss),
      }}
    >
      {children}
    </div>
  ),
  Grid: ({ props, children }) => (
    <div
      style={{
        display: 'grid',
        gap: tokenValue(props.gap),
        rowGap: tokenValue(props.rowGap),
        columnGap: tokenValue(props.columnGap),
        gridTemplateColumns: props.templateColumns as string | undefined,
        gridTemplateRows: props.templateRows as string | undefined,
        alignItems: props.alignItems as string | undefined,
        justifyContent: props.justifyContent as string | undefined,
        ...styleOf(props.xcss),
      }}
    >
      {children}
    </div>
  ),
  Bleed: ({ props, children }) => (
    <div
      style={{
        marginInline: props.inline ? `calc(-1 * ${tokenValue(props.inline)})` : undefined,
        marginBlock: props.block ? `calc(-1 * ${tokenValue(props.block)})` : undefined,
      }}
    >
      {children}
    </div>
  ),
};
