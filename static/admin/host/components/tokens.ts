/**
 * UI Kit passes design tokens by name ("space.200", "color.background.neutral",
 * "elevation.surface.raised"); plain CSS reaches them as the custom properties the theme
 * (@atlaskit/tokens, loaded by the host) defines: --ds-space-200, --ds-background-neutral...
 */
import type { CSSProperties } from 'react';

const TOKEN = /^(space|color|elevation|border|radius|font|opacity|shadow)\.[\w.-]+$/;

export function tokenValue(value: unknown): string | number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  if (!TOKEN.test(value)) return value;
  const name = value.replace(/^(color|elevation)\./, '').replace(/\./g, '-');
  return `var(--ds-${name})`;
}

/** An xcss object (or Box's token props) as inline style: token names become variables. */
export function styleOf(source: unknown): CSSProperties {
  const style: Record<string, string | number> = {};
  if (!source || typeof source !== 'object') return style;
  for (const [property, value] of Object.entries(source as Record<string, unknown>)) {
    const resolved = tokenValue(value);
    if (resolved !== undefined && !property.startsWith(':') && !property.startsWith('@')) {
      style[property] = resolved;
    }
  }
  return style as CSSProperties;
}
