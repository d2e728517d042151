// The slack plugin through the conformance suite on our access API; the adapter and its fake are
// in slack-adapter.ts.

import { slackAdapter, slackCapabilities } from './slack-adapter.js';
import { describeConformance } from './suite.js';

describeConformance(slackAdapter, slackCapabilities);
