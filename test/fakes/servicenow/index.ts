export { pushChange } from './push.js';
export { type FakeServiceNow, startFakeServiceNow } from './server.js';
