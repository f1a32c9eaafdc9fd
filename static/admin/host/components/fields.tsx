/**
 * Forms and fields. Text fields, selects, toggles and radios are ADS components; the
 * checkbox (no @atlaskit/checkbox in the installed set) is HTML styled like it. Fields are
 * controlled when the page passes `value`/`isChecked`, uncontrolled with `defaultValue`/
 * `defaultChecked` (as @forge/react's useForm registers them).
 */
import { RadioGroup } from '@atlaskit/radio';
import Select from '@atlaskit/select';
import TextArea from '@atlaskit/textarea';
import Textfield from '@atlaskit/textfield';
import Toggle from '@atlaskit/toggle';
import type { ComponentProps, FormEvent } from 'react';
import { callback, onField, pick } from '../events';
import { renderProp } from '../render';
import type { HostComponent } from '../types';

type TextfieldProps = ComponentProps<typeof Textfield>;
type TextAreaProps = ComponentProps<typeof TextArea>;
type SelectProps = ComponentProps<typeof Select>;
type ToggleProps = ComponentProps<typeof Toggle>;
type RadioGroupProps = ComponentProps<typeof RadioGroup>;

const FIELD_PROPS = [
  'id',
  'name',
  'value',
  'defaultValue',
  'placeholder',
  'isDisabled',
  'isInvalid',
  'isRequired',
  'isReadOnly',
  'isMonospaced',
  'isCompact',
  'maxLength',
  'minLength',
  'min',
  'max',
  'pattern',
  'width',
  'appearance',
  'autoFocus',
  'aria-invalid',
  'aria-labelledby',
  'testId',
];

function handlers(props: Record<string, unknown>) {
  return {
    onChange: onField(props.onChange),
    onBlur: onField(props.onBlur),
    onFocus: onField(props.onFocus),
  };
}

type Option = { label: string; value: string; isDisabled?: boolean };

export const fields: Record<string, HostComponent> = {
  Form: ({ props, children }) => {
    const onSubmit = callback(props.onSubmit);
    const submit = (event: FormEvent) => {
      event.preventDefault();
      void onSubmit?.();
    };
    return (
      <form className="fh-form" onSubmit={submit} noValidate>
        {children}
      </form>
    );
  },
  FormHeader: ({ props, children }) => (
    <div className="fh-form-header">
      {props.title ? <h2>{String(props.title)}</h2> : null}
      {props.description ? <p>{renderProp(props.description)}</p> : null}
      {children}
    </div>
  ),
  FormSection: ({ props, children }) => (
    <fieldset className="fh-form-section">
      {props.title ? <legend>{String(props.title)}</legend> : null}
      {props.description ? <p>{renderProp(props.description)}</p> : null}
      {children}
    </fieldset>
  ),
  FormFooter: ({ props, children }) => (
    <div className="fh-form-footer" data-align={String(props.align ?? 'end')}>
      {children}
    </div>
  ),
  Label: ({ props, children }) => (
    <label className="fh-label" htmlFor={props.labelFor as string | undefined}>
      {children}
    </label>
  ),
  RequiredAsterisk: () => (
    <span className="fh-required" aria-hidden="true">
      *
    </span>
  ),
  HelperMessage: ({ children }) => <div className="fh-message fh-helper">{children}</div>,
  ErrorMessage: ({ children }) => (
    <div className="fh-message fh-error" role="alert">
      {children}
    </div>
  ),
  ValidMessage: ({ children }) => <div className="fh-message fh-valid">{children}</div>,
  Textfield: ({ props }) => (
    <Textfield {...(pick(props, [...FIELD_PROPS, 'type']) as TextfieldProps)} {...handlers(props)} />
  ),
  TextArea: ({ props }) => (
    <TextArea
      {...(pick(props, [
        ...FIELD_PROPS,
        'resize',
        'minimumRows',
        'maxHeight',
        'spellCheck',
      ]) as TextAreaProps)}
      {...handlers(props)}
    />
  ),
  Select: ({ props }) => {
    const onChange = callback(props.onChange);
    const onBlur = callback(props.onBlur);
    const onFocus = callback(props.onFocus);
    return (
      <Select
        {...(pick(props, [
          'id',
          'inputId',
          'name',
          'options',
          'value',
          'defaultValue',
          'placeholder',
          'isMulti',
          'isClearable',
          'isDisabled',
          'isInvalid',
          'isLoading',
          'isSearchable',
          'isRequired',
          'appearance',
          'autoFocus',
          'closeMenuOnSelect',
          'menuIsOpen',
          'defaultMenuIsOpen',
          'openMenuOnFocus',
          'spacing',
          'testId',
        ]) as SelectProps)}
        // The page gets the chosen option(s), as plain data.
        onChange={onChange ? (value: unknown) => void onChange(value) : undefined}
        onBlur={onBlur ? () => void onBlur() : undefined}
        onFocus={onFocus ? () => void onFocus() : undefined}
        menuPortalTarget={document.body}
        styles={{ menuPortal: (base: object) => ({ ...base, zIndex: 9999 }) }}
      />
    );
  },
  Checkbox: ({ props }) => <Checkbox props={props} />,
  CheckboxGroup: ({ props }) => {
    const onChange = callback(props.onChange);
    const options = (Array.isArray(props.options) ? props.options : []) as Option[];
    const controlled = Array.isArray(props.value) ? (props.value as string[]) : undefined;
    const initial = Array.isArray(props.defaultValue) ? (props.defaultValue as string[]) : [];
    const change = (group: HTMLElement) => {
      const values = [...group.querySelectorAll<HTMLInputElement>('input:checked')].map(
        (input) => input.value,
      );
      void onChange?.(values);
    };
    return (
      <div className="fh-checkbox-group" role="group" onChange={(event) => change(event.currentTarget)}>
        {options.map((option) => (
          <label key={option.value} className="fh-checkbox">
            <input
              type="checkbox"
              name={String(props.name ?? '')}
              value={option.value}
              disabled={Boolean(props.isDisabled) || Boolean(option.isDisabled)}
              {...(controlled
                ? { checked: controlled.includes(option.value), readOnly: !onChange }
                : { defaultChecked: initial.includes(option.value) })}
            />
            <span>{option.label}</span>
          </label>
        ))}
      </div>
    );
  },
  Toggle: ({ props }) => (
    <Toggle
      {...(pick(props, ['id', 'name', 'value', 'size', 'label', 'isDisabled', 'testId']) as ToggleProps)}
      {...(props.isChecked !== undefined
        ? { isChecked: Boolean(props.isChecked) }
        : { defaultChecked: Boolean(props.defaultChecked) })}
      {...handlers(props)}
    />
  ),
  RadioGroup: ({ props }) => (
    <RadioGroup
      {...(pick(props, [
        'options',
        'value',
        'defaultValue',
        'name',
        'isDisabled',
        'isRequired',
        'isInvalid',
        'aria-labelledby',
        'testId',
      ]) as unknown as RadioGroupProps)}
      onChange={onField(props.onChange)}
    />
  ),
  Radio: ({ props }) => (
    <label className="fh-radio">
      <input
        type="radio"
        name={props.name as string | undefined}
        value={props.value as string | undefined}
        disabled={Boolean(props.isDisabled)}
        {...(props.isChecked !== undefined
          ? { checked: Boolean(props.isChecked), readOnly: !props.onChange }
          : {})}
        onChange={onField(props.onChange)}
      />
      <span>{renderProp(props.label)}</span>
    </label>
  ),
  Range: ({ props }) => (
    <input
      type="range"
      className="fh-range"
      id={props.id as string | undefined}
      min={props.min as number | undefined}
      max={props.max as number | undefined}
      step={props.step as number | undefined}
      disabled={Boolean(props.isDisabled)}
      {...(props.value !== undefined
        ? { value: props.value as number }
        : { defaultValue: props.defaultValue as number })}
      // Range's onChange receives the number, not an event.
      onChange={(event) => void callback(props.onChange)?.(Number(event.currentTarget.value))}
    />
  ),
  DatePicker: ({ props }) => <DateInput props={props} type="date" />,
  TimePicker: ({ props }) => <DateInput props={props} type="time" />,
};

function Checkbox({ props }: { props: Record<string, unknown> }) {
  const controlled = props.isChecked !== undefined;
  return (
    <label className="fh-checkbox" data-invalid={props.isInvalid ? 'true' : undefined}>
      <input
        type="checkbox"
        id={props.id as string | undefined}
        name={props.name as string | undefined}
        value={props.value as string | undefined}
        disabled={Boolean(props.isDisabled)}
        required={Boolean(props.isRequired)}
        aria-invalid={props.isInvalid ? true : undefined}
        {...(controlled
          ? { checked: Boolean(props.isChecked), readOnly: !props.onChange }
          : { defaultChecked: Boolean(props.defaultChecked) })}
        onChange={onField(props.onChange)}
        onBlur={onField(props.onBlur)}
        onFocus={onField(props.onFocus)}
      />
      <span>{renderProp(props.label)}</span>
    </label>
  );
}

/** DatePicker and TimePicker: the page gets the ISO value as a string, as from ADS's pickers. */
function DateInput({ props, type }: { props: Record<string, unknown>; type: 'date' | 'time' }) {
  const onChange = callback(props.onChange);
  return (
    <input
      type={type}
      className="fh-input"
      id={props.id as string | undefined}
      name={props.name as string | undefined}
      disabled={Boolean(props.isDisabled)}
      {...(props.value !== undefined
        ? { value: String(props.value), readOnly: !onChange }
        : { defaultValue: props.defaultValue as string | undefined })}
      onChange={(event) => void onChange?.(event.currentTarget.value)}
    />
  );
}
