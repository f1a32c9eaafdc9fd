/** Text and content: Text, Heading, Code, CodeBlock (with copy), Link, List, Lozenge, Badge... */
import Badge from '@atlaskit/badge';
import Heading from '@atlaskit/heading';
import Lozenge from '@atlaskit/lozenge';
import { Text } from '@atlaskit/primitives';
import { useState, type ComponentProps } from 'react';
import { pick } from '../events';
import type { HostComponent } from '../types';

type TextProps = ComponentProps<typeof Text>;
type HeadingProps = ComponentProps<typeof Heading>;
type LozengeProps = ComponentProps<typeof Lozenge>;
type BadgeProps = ComponentProps<typeof Badge>;

const HEADING_SIZES = ['xxlarge', 'xlarge', 'large', 'medium', 'small', 'xsmall', 'xxsmall'];

export const text: Record<string, HostComponent> = {
  Text: ({ props, children }) => {
    if (props.as === 'strike') return <s>{children}</s>;
    const as = ['span', 'p', 'strong', 'em'].includes(String(props.as)) ? props.as : 'p';
    return (
      <Text
        {...(pick(props, ['align', 'color', 'maxLines', 'size', 'weight', 'testId']) as unknown as TextProps)}
        as={as as 'p'}
      >
        {children}
      </Text>
    );
  },
  Heading: ({ props, children }) => {
    const size = HEADING_SIZES.includes(String(props.size)) ? props.size : 'medium';
    return (
      <Heading
        {...(pick(props, ['as', 'color', 'id', 'testId']) as unknown as HeadingProps)}
        size={size as 'medium'}
      >
        {children}
      </Heading>
    );
  },
  Strong: ({ children }) => <strong>{children}</strong>,
  Em: ({ children }) => <em>{children}</em>,
  Strike: ({ children }) => <s>{children}</s>,
  Code: ({ children }) => <code className="fh-code">{children}</code>,
  CodeBlock: ({ props }) => <CodeBlock text={String(props.text ?? '')} language={props.language} />,
  Link: ({ props, children }) => (
    <a
      className="fh-link"
      href={String(props.href ?? '#')}
      target={props.openNewTab === false ? undefined : '_blank'}
      rel="noopener noreferrer"
    >
      {children}
    </a>
  ),
  List: ({ props, children }) =>
    props.type === 'ordered' ? (
      <ol className="fh-list">{children}</ol>
    ) : (
      <ul className="fh-list">{children}</ul>
    ),
  ListItem: ({ children }) => <li>{children}</li>,
  Lozenge: ({ props, children }) => (
    <Lozenge {...(pick(props, ['appearance', 'isBold', 'maxWidth', 'testId']) as LozengeProps)}>
      {children}
    </Lozenge>
  ),
  Badge: ({ props, children }) => (
    <Badge {...(pick(props, ['appearance', 'max', 'testId']) as BadgeProps)}>{children as number}</Badge>
  ),
  Tag: ({ props }) => (
    <span className="fh-tag" data-color={String(props.color ?? 'standard')}>
      {String(props.text ?? '')}
    </span>
  ),
  TagGroup: ({ children }) => <span className="fh-tag-group">{children}</span>,
  Image: ({ props }) => (
    <img
      className="fh-image"
      src={String(props.src ?? '')}
      alt={String(props.alt ?? '')}
      width={props.width as number | undefined}
      height={props.height as number | undefined}
    />
  ),
  Icon: ({ props }) => (
    <span className="fh-icon" role="img" aria-label={String(props.label ?? props.glyph ?? '')}>
      {ICON_GLYPHS[String(props.glyph)] ?? '•'}
    </span>
  ),
  User: ({ props }) => <span className="fh-user">{String(props.accountId ?? '')}</span>,
  UserGroup: ({ children }) => <span className="fh-user-group">{children}</span>,
};

/** A few glyphs drawn as characters; any other shows as a dot with its name as the label. */
const ICON_GLYPHS: Record<string, string> = {
  check: '✓',
  'check-circle': '✓',
  cross: '✕',
  'cross-circle': '✕',
  error: '⚠',
  warning: '⚠',
  info: 'ℹ',
  copy: '⧉',
  refresh: '↻',
  retry: '↻',
  search: '⌕',
  add: '+',
  trash: '🗑',
  lock: '🔒',
  person: '👤',
  people: '👥',
  settings: '⚙',
};

/** ADS's code block (not in the registry set installed here): monospaced, with a copy control. */
function CodeBlock({ text: code, language }: { text: string; language: unknown }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | undefined>();
  const copy = async () => {
    try {
      await writeClipboard(code);
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
    setTimeout(() => setCopied(undefined), 2000);
  };
  return (
    <div className="fh-code-block" data-language={String(language ?? 'text')}>
      <pre>
        <code>{code}</code>
      </pre>
      <button type="button" className="fh-copy" onClick={() => void copy()} aria-label="Copy to clipboard">
        {copied === 'yes' ? 'Copied' : copied === 'failed' ? 'Select and copy' : 'Copy'}
      </button>
    </div>
  );
}

async function writeClipboard(value: string): Promise<void> {
  if (navigator.clipboard) {
    await navigator.clipboard.writeText(value);
    return;
  }
  // No async clipboard (an insecure origin): the old way, through a selection.
  const area = document.createElement('textarea');
  area.value = value;
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('copy refused');
}
