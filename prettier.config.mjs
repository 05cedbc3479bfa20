// Prettier lays out every TypeScript and JavaScript file (`npm run format` writes, `npm run lint`
// checks). The options are the ones the code was already written in, so adopting Prettier moved
// little: single quotes, semicolons, trailing commas wherever the syntax allows, parentheses
// around every arrow parameter, 120 columns (the limit .editorconfig and .clang-format also set).
// .prettierignore names what it leaves alone.
/** @type {import('prettier').Config} */
export default {
  printWidth: 120,
  singleQuote: true,
  semi: true,
  trailingComma: 'all',
  arrowParens: 'always',
  endOfLine: 'lf',
};
