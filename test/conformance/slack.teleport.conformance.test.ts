// The slack plugin through the conformance suite with a Teleport cluster underneath: requests live
// in the fake auth service and reach the host through the Teleport source (access-world.ts).

import { slackAdapter, slackCapabilities } from './slack-adapter.js';
import { describeConformance } from './suite.js';

describeConformance(slackAdapter, slackCapabilities, 'teleport');
