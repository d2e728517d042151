// Users and roles for the CLI suites: the seed roles from config/roles.example.yaml, plus a
// role that may request two roles at once (for approving a subset).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { UserInput } from '../../src/client/types.js';

export const EXAMPLE_ROLES_FILE = fileURLToPath(new URL('../../config/roles.example.yaml', import.meta.url));

export const ROLES_YAML = `${readFileSync(EXAMPLE_ROLES_FILE, 'utf8')}
---
kind: role
version: v5
metadata:
  name: analyst
spec:
  allow:
    db_labels:
      env: ['staging']
---
kind: role
version: v5
metadata:
  name: oncall
spec:
  allow:
    request:
      roles: ['dba', 'analyst']
    rules:
      - resources: ['access_request']
        verbs: ['list', 'read']
---
kind: role
version: v5
metadata:
  name: senior-approver
spec:
  allow:
    review_requests:
      roles: ['dba', 'analyst']
`;

export const USERS: UserInput[] = [
  { name: 'carol', roles: ['contractor'], email: 'carol@example.com' },
  { name: 'bob', roles: ['approver'], email: 'bob@example.com' },
  { name: 'dana', roles: ['approver'] },
  { name: 'alice', roles: ['requester'] },
  { name: 'rita', roles: ['reviewer'] },
  { name: 'olga', roles: ['oncall'] },
  { name: 'sam', roles: ['senior-approver'] },
];
