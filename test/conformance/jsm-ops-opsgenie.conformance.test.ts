// The jsm-ops plugin, flavor opsgenie (Opsgenie REST API v2), through the shared conformance suite.
import { jsmOpsAdapter } from './jsm-ops.adapter.js';
import { describeConformance } from './suite.js';

describeConformance(jsmOpsAdapter('opsgenie'), { replies: true, lostAnswers: true, decisions: false });
