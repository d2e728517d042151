// PagerDuty through the on-call contract suite (adapter: pagerduty.adapter.ts).
import { pagerdutyOnCallAdapter } from './pagerduty.adapter.js';
import { describeOnCallContract } from './suite.js';

describeOnCallContract(pagerdutyOnCallAdapter);
