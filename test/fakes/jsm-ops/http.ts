// One answer of the fake, before it is written to the socket.
export interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}
