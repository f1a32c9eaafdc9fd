/**
 * What a UI Kit page's callbacks receive. In a product, arguments cross the iframe as plain
 * data, so the page sees `{ target: { value, checked, type, name } }` rather than a DOM
 * event; @forge/react's useForm relies on `target.type` to pick `value` or `checked`.
 */
import type { SyntheticEvent } from 'react';

export interface FieldEvent {
  type: string;
  target: { type: string; value: string; checked: boolean; name: string; id: string };
}

export function fieldEvent(event: SyntheticEvent): FieldEvent {
  const element = event.target as HTMLInputElement;
  const target = {
    type: element.type ?? (element.tagName === 'TEXTAREA' ? 'textarea' : 'text'),
    value: element.value ?? '',
    checked: Boolean(element.checked),
    name: element.name ?? '',
    id: element.id ?? '',
  };
  return { type: event.type, target };
}

/** The prop as a callable function, if the page passed one. */
export function callback(value: unknown): ((...args: unknown[]) => unknown) | undefined {
  return typeof value === 'function' ? (value as (...args: unknown[]) => unknown) : undefined;
}

/** Calls a page callback with a plain copy of a field event. */
export function onField(value: unknown): ((event: SyntheticEvent) => void) | undefined {
  const fn = callback(value);
  return fn ? (event) => void fn(fieldEvent(event)) : undefined;
}

/** The props whose value is plain data (no function, no element), for pass-through. */
export function pick(props: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of keys) if (props[key] !== undefined) picked[key] = props[key];
  return picked;
}
