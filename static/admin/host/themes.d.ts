/** @atlaskit/tokens' theme files: each default-exports its CSS (custom properties) as text. */
declare module '@atlaskit/tokens/dist/esm/artifacts/themes/*' {
  const css: string;
  export default css;
}
