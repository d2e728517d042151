// The client types generated from the served OpenAPI document (openapi-typescript) are kept
// in src/client/openapi-types.ts; this test regenerates them and fails when the committed file
// is stale. `npm run openapi:types` rewrites it. generated-types.test.ts proves the
// hand-written client's types equal the generated ones.

import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api.js';

const HEADER = `// Generated from the access API's OpenAPI document by openapi-typescript: do not edit.
// Regenerate with \`npm run openapi:types\` (test/client/openapi-types.test.ts checks it is current).

`;

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(async () => {
  await t?.stop();
});

it('src/client/openapi-types.ts is what openapi-typescript generates from the served document', async () => {
  const document = (await (await fetch(`${t.api.url}/v1/openapi.json`)).json()) as OpenAPI3;
  const ast = await openapiTS(document, { silent: true });
  await expect(HEADER + astToString(ast)).toMatchFileSnapshot('../../src/client/openapi-types.ts');
});
