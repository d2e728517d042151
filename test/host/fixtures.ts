// Roles and users the host suites share: requesters who may ask for `dba` / `dev-*`,
// reviewers who may review them (one of them with a trait for trait-based mapping), and
// someone who may review nothing.

export const HOST_ROLES = `kind: role
version: v7
metadata:
  name: requester
spec:
  allow:
    request:
      roles: ['dba', 'dev-*']
      annotations:
        accessbot/notify-recorder: ['#from-annotation']
---
kind: role
version: v7
metadata:
  name: careful-requester
spec:
  allow:
    request:
      roles: ['dba']
      thresholds:
        - approve: 2
          deny: 2
---
kind: role
version: v7
metadata:
  name: reviewer
spec:
  allow:
    review_requests:
      roles: ['dba', 'dev-*']
---
kind: role
version: v7
metadata:
  name: dba
spec: {}
---
kind: role
version: v7
metadata:
  name: dev-web
spec: {}
---
kind: role
version: v7
metadata:
  name: bystander
spec: {}
`;

export const HOST_USERS = [
  { name: 'alice', email: 'alice@example.com', roles: ['requester', 'reviewer'] },
  { name: 'bob', email: 'bob@example.com', roles: ['reviewer'], traits: { github: ['bobgh'] } },
  { name: 'carol', email: 'carol@example.com', roles: ['reviewer'] },
  // Needs two approvals, so a second click meets a still-pending request.
  { name: 'dave', email: 'dave@example.com', roles: ['careful-requester'] },
  // Automatic reviews of the test plugin `recorder` are authored as this user.
  { name: 'recorder-bot', email: 'recorder-bot@example.com', roles: ['reviewer'] },
  { name: 'mallory', email: 'mallory@example.com', roles: ['bystander'] },
];
