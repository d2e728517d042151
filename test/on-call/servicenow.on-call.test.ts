// ServiceNow through the on-call contract suite (adapter: servicenow.adapter.ts).
import { servicenowOnCallAdapter } from './servicenow.adapter.js';
import { describeOnCallContract } from './suite.js';

describeOnCallContract(servicenowOnCallAdapter);
