// Writes dist/index.mjs: an ES module facade over the CommonJS build, so `import` and `require`
// get the same classes (one copy of the native addon, one IOReturnError).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const dist = path.join(__dirname, '..', 'dist');
const api = require(dist);
const names = Object.keys(api).filter((n) => n !== 'default' && n !== '__esModule');
const lines = [
  "import api from './index.js';",
  `export const { ${names.join(', ')} } = api;`,
  'export default api;',
  '',
];
fs.writeFileSync(path.join(dist, 'index.mjs'), lines.join('\n'));
