// The part of Teleport's gRPC API the Teleport source speaks, written by us from Teleport's
// published field facts (api/proto/teleport/legacy/...): same packages (`proto`, `types`,
// `wrappers`), same service and method names, same field numbers. Protobuf skips fields a
// reader does not know and the path is `/proto.AuthService/<Method>`, so this subset talks to a
// real auth service. Only the messages and fields we read or send are here. Kept as text in a
// module (not a .proto file) so the compiled build carries it without a copy step.

import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';

const WELL_KNOWN = `
syntax = "proto3";
package google.protobuf;
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
`;

const WRAPPERS = `
syntax = "proto3";
package wrappers;
message StringValues { repeated string Values = 1; }
message LabelValues { map<string, StringValues> Values = 1; }
`;

const TYPES = `
syntax = "proto3";
package types;

message Metadata {
  string Name = 1;
  string Namespace = 2;
  string Description = 3;
  map<string, string> Labels = 5;
  google.protobuf.Timestamp Expires = 6;
  string Revision = 8;
}

message ResourceHeader {
  string Kind = 1;
  string SubKind = 2;
  string Version = 3;
  Metadata Metadata = 4;
}

enum RequestState {
  NONE = 0;
  PENDING = 1;
  APPROVED = 2;
  DENIED = 3;
  PROMOTED = 4;
}

message AccessReviewThreshold {
  string Name = 1;
  string Filter = 2;
  uint32 Approve = 3;
  uint32 Deny = 4;
}

message AccessReview {
  string Author = 1;
  repeated string Roles = 2;
  RequestState ProposedState = 3;
  string Reason = 4;
  google.protobuf.Timestamp Created = 5;
  wrappers.LabelValues Annotations = 6;
  repeated uint32 ThresholdIndexes = 7;
}

message AccessReviewSubmission {
  string RequestID = 1;
  AccessReview Review = 2;
}

message ThresholdIndexSet { repeated uint32 Indexes = 1; }
message ThresholdIndexSets { repeated ThresholdIndexSet Sets = 1; }

message ResourceID {
  string ClusterName = 1;
  string Kind = 2;
  string Name = 3;
  string SubResourceName = 4;
}

message AccessRequestSpecV3 {
  string User = 1;
  repeated string Roles = 2;
  RequestState State = 3;
  google.protobuf.Timestamp Created = 4;
  google.protobuf.Timestamp Expires = 5;
  string RequestReason = 6;
  string ResolveReason = 7;
  wrappers.LabelValues ResolveAnnotations = 8;
  wrappers.LabelValues SystemAnnotations = 9;
  repeated AccessReviewThreshold Thresholds = 10;
  map<string, ThresholdIndexSets> RoleThresholdMapping = 11;
  repeated AccessReview Reviews = 12;
  repeated string SuggestedReviewers = 13;
  repeated ResourceID RequestedResourceIDs = 14;
  google.protobuf.Timestamp ResourceExpiry = 22;
}

message AccessRequestV3 {
  string Kind = 1;
  string SubKind = 2;
  string Version = 3;
  Metadata Metadata = 4;
  AccessRequestSpecV3 Spec = 5;
}

message AccessRequestFilter {
  string ID = 1;
  string User = 2;
  RequestState State = 3;
}

message WatchKind {
  string Kind = 1;
}
`;

const AUTH_SERVICE = `
syntax = "proto3";
package proto;

enum Operation {
  INIT = 0;
  PUT = 1;
  DELETE = 2;
}

message Event {
  Operation Type = 1;
  oneof Resource {
    types.ResourceHeader ResourceHeader = 2;
    types.AccessRequestV3 AccessRequest = 14;
  }
}

message Watch {
  repeated types.WatchKind Kinds = 1;
  bool AllowPartialSuccess = 2;
}

message PingRequest {}

message PingResponse {
  string ClusterName = 1;
  string ServerVersion = 2;
  string ProxyPublicAddr = 4;
}

service AuthService {
  rpc Ping(PingRequest) returns (PingResponse);
  rpc WatchEvents(Watch) returns (stream Event);
  rpc GetAccessRequestsV2(types.AccessRequestFilter) returns (stream types.AccessRequestV3);
  rpc SubmitAccessReview(types.AccessReviewSubmission) returns (types.AccessRequestV3);
}
`;

/** How messages look in JavaScript: field names as in the proto, enums as names, int64 as strings. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

let cached: protoLoader.PackageDefinition | undefined;

/** The package definition of the subset, for grpc.loadPackageDefinition (client and fake server). */
export function teleportPackageDefinition(): protoLoader.PackageDefinition {
  if (cached) return cached;
  const root = new protobuf.Root();
  for (const source of [WELL_KNOWN, WRAPPERS, TYPES, AUTH_SERVICE])
    protobuf.parse(source, root, { keepCase: true });
  root.resolveAll();
  cached = protoLoader.fromJSON(root.toJSON(), LOADER_OPTIONS);
  return cached;
}
