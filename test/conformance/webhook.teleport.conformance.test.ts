// The webhook plugin through the conformance suite with a Teleport cluster underneath: requests live
// in the fake auth service and reach the host through the Teleport source (access-world.ts).

import { describeConformance } from './suite.js';
import { webhookAdapter, webhookCapabilities } from './webhook-adapter.js';

describeConformance(webhookAdapter, webhookCapabilities, 'teleport');
