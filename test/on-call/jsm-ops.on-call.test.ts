// JSM Operations (jsm-ops, flavor jsm) through the on-call contract suite.
import { jsmOpsOnCallAdapter } from './jsm-ops.adapter.js';
import { describeOnCallContract } from './suite.js';

describeOnCallContract(jsmOpsOnCallAdapter('jsm'));
