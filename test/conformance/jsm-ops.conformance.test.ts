// The jsm-ops plugin, flavor jsm (JSM Operations), through the shared conformance suite.
import { jsmOpsAdapter } from './jsm-ops.adapter.js';
import { describeConformance } from './suite.js';

describeConformance(jsmOpsAdapter('jsm'), { replies: true, lostAnswers: true, decisions: false });
