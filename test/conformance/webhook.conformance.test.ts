// The webhook plugin through the conformance suite on our access API; the adapter and its fake are
// in webhook-adapter.ts.

import { describeConformance } from './suite.js';
import { webhookAdapter, webhookCapabilities } from './webhook-adapter.js';

describeConformance(webhookAdapter, webhookCapabilities);
