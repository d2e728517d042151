// Holds a running API to the OpenAPI document it serves, with a standard validator
// (openapi-backend: operation matching, response bodies by status, response headers) using
// a JSON Schema 2020-12 engine, the dialect of OpenAPI 3.1. Every exchange is recorded, so a
// test can prove that each documented (operation, status) pair was produced and checked.

import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { createParser } from 'eventsource-parser';
import { OpenAPIBackend, type Operation, SetMatchType } from 'openapi-backend';

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv2020,
) => Ajv2020;

export interface Exchange {
  operationId: string;
  status: number;
  headers: Record<string, string>;
  /** The parsed JSON body (undefined when there is none). */
  body: unknown;
}

export interface CallOptions {
  /** Bearer token; omitted = no Authorization header. */
  token?: string;
  pathParams?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** Sent as JSON unless `rawBody` is given. */
  body?: unknown;
  rawBody?: string;
  contentType?: string;
}

type ErrorResponseSchema = {
  allOf: [unknown, { properties: { error: { properties: { code: { enum: string[] } } } } }];
};

type Document = {
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
};

export class ServedDocument {
  /** `operationId status` of every checked exchange. */
  readonly covered = new Set<string>();
  /** `operationId CODE` of every checked error answer. */
  readonly coveredCodes = new Set<string>();

  private constructor(
    readonly baseUrl: string,
    readonly document: Document,
    private readonly validator: OpenAPIBackend,
    private readonly ajv: Ajv2020,
  ) {}

  static async load(baseUrl: string): Promise<ServedDocument> {
    const res = await fetch(`${baseUrl}/v1/openapi.json`);
    const document = (await res.json()) as Document;
    const ajv = ajv2020();
    const validator = new OpenAPIBackend({
      definition: structuredClone(document) as never,
      strict: true,
      // `quick` skips openapi-backend's own check of the document, written for OpenAPI 3.0;
      // the document is checked with `redocly lint` (OpenAPI 3.1) by openapi-lint.test.ts.
      quick: true,
      customizeAjv: () => ajv2020(),
    });
    await validator.init();
    return new ServedDocument(baseUrl, document, validator, ajv);
  }

  /** Every documented `operationId status` pair. */
  documentedPairs(): string[] {
    return Object.values(this.document.paths).flatMap((methods) =>
      Object.values(methods).flatMap((op) =>
        Object.keys(op.responses).map((status) => `${op.operationId} ${status}`),
      ),
    );
  }

  operation(operationId: string): Operation {
    const op = this.validator.getOperation(operationId);
    if (!op) throw new Error(`no operation ${operationId} in the served document`);
    return op;
  }

  url(operationId: string, opts: CallOptions): string {
    const op = this.operation(operationId);
    const path = op.path.replace(/\{(\w+)\}/g, (_m, name: string) =>
      encodeURIComponent(opts.pathParams?.[name] ?? ''),
    );
    const query = new URLSearchParams(opts.query ?? {}).toString();
    return `${this.baseUrl}${path}${query ? `?${query}` : ''}`;
  }

  /** Calls a documented operation and checks the answer against the document. */
  async call(operationId: string, opts: CallOptions = {}): Promise<Exchange> {
    const op = this.operation(operationId);
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    let payload: string | undefined;
    if (opts.rawBody !== undefined || opts.body !== undefined) {
      payload = opts.rawBody ?? JSON.stringify(opts.body);
      headers['content-type'] = opts.contentType ?? 'application/json';
    }
    const res = await fetch(this.url(operationId, opts), {
      method: op.method.toUpperCase(),
      headers,
      ...(payload === undefined ? {} : { body: payload }),
    });
    const text = await res.text();
    const responseHeaders = Object.fromEntries(res.headers.entries());
    let body: unknown;
    if (text !== '') {
      if (!(responseHeaders['content-type'] ?? '').startsWith('application/json')) {
        throw new Error(`${operationId} ${res.status}: a body that is not JSON: ${text.slice(0, 200)}`);
      }
      body = JSON.parse(text);
    }
    const exchange = { operationId, status: res.status, headers: responseHeaders, body };
    this.check(exchange, new URL(res.url).pathname);
    if (res.ok && payload !== undefined) this.checkAcceptedBody(op, headers['content-type'] ?? '', payload);
    return exchange;
  }

  /** A body the server accepted must be one the document allows (its type and, for JSON, its schema). */
  private checkAcceptedBody(op: Operation, contentType: string, payload: string): void {
    const content = (op.requestBody as { content?: Record<string, { schema?: object }> } | undefined)
      ?.content;
    const documented = content?.[contentType];
    if (!documented)
      throw new Error(`${op.operationId}: accepted a ${contentType} body the document does not list`);
    if (contentType !== 'application/json' || !documented.schema) return;
    const validate = this.ajv.compile(documented.schema);
    if (!validate(JSON.parse(payload))) {
      throw new Error(
        `${op.operationId}: accepted a body the document refuses: ${JSON.stringify(validate.errors)}`,
      );
    }
  }

  /**
   * Checks one exchange: the path matches the operation, the status is documented, the
   * content type is one the status documents, and the body and headers validate.
   */
  check(exchange: Exchange, pathname: string): void {
    const { operationId, status, headers, body } = exchange;
    const op = this.operation(operationId);
    const where = `${operationId} → ${status}`;
    const matched = this.validator.matchOperation({ method: op.method, path: pathname, headers: {} });
    if (matched?.operationId !== operationId) {
      throw new Error(`${where}: ${op.method} ${pathname} matches ${matched?.operationId ?? 'no operation'}`);
    }
    const documented = op.responses?.[String(status)] as
      | { content?: Record<string, unknown>; headers?: Record<string, unknown> }
      | undefined;
    if (!documented) throw new Error(`${where}: status not documented (body ${JSON.stringify(body)})`);
    const contentType = (headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    if (documented.content) {
      if (!Object.hasOwn(documented.content, contentType)) {
        throw new Error(`${where}: content type ${contentType || '(none)'} is not documented`);
      }
    } else if (body !== undefined) {
      throw new Error(`${where}: a body where the document has none`);
    }
    if (contentType === 'application/json') {
      const result = this.validator.validateResponse(body, op, status);
      if (!result.valid) {
        throw new Error(`${where}: body does not match the document: ${JSON.stringify(result.errors)}`);
      }
    }
    const headerResult = this.validator.validateResponseHeaders(headers, op, {
      statusCode: status,
      setMatchType: SetMatchType.Superset,
    });
    if (!headerResult.valid) {
      throw new Error(`${where}: headers do not match the document: ${JSON.stringify(headerResult.errors)}`);
    }
    this.covered.add(`${operationId} ${status}`);
    const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
    if (status >= 400 && typeof code === 'string') this.coveredCodes.add(`${operationId} ${code}`);
  }

  /** Every documented `operationId CODE` pair (the codes each error status lists). */
  documentedCodes(): string[] {
    return Object.values(this.document.paths).flatMap((methods) =>
      Object.values(methods).flatMap((op) =>
        Object.entries(op.responses)
          .filter(([status]) => Number(status) >= 400)
          .flatMap(([, response]) => {
            const schema = (response as { content: Record<string, { schema: ErrorResponseSchema }> }).content[
              'application/json'
            ]?.schema;
            return (schema?.allOf[1]?.properties.error.properties.code.enum ?? []).map(
              (code) => `${op.operationId} ${code}`,
            );
          }),
      ),
    );
  }

  /**
   * Opens the watch stream, reads `count` events and closes it. The status and headers are
   * checked like any exchange; each event, as SSE parsing gives it, against the documented
   * `text/event-stream` schema.
   */
  async watchEvents(
    opts: CallOptions,
    count: number,
  ): Promise<{ id?: string; event: string; data: unknown }[]> {
    const op = this.operation('watch');
    const abort = new AbortController();
    const headers: Record<string, string> = { accept: 'text/event-stream', ...(opts.headers ?? {}) };
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    const res = await fetch(this.url('watch', opts), { headers, signal: abort.signal });
    const responseHeaders = Object.fromEntries(res.headers.entries());
    this.check(
      { operationId: 'watch', status: res.status, headers: responseHeaders, body: undefined },
      '/v1/watch',
    );
    const success = op.responses?.['200'] as
      | { content?: Record<string, { schema?: Record<string, unknown> }> }
      | undefined;
    const schema = success?.content?.['text/event-stream']?.schema;
    if (!schema) throw new Error('the watch documents no text/event-stream schema');
    const validate = this.ajv.compile(schema);
    const messages: { id?: string; event: string; data: unknown }[] = [];
    const parser = createParser({
      onEvent: (message) => {
        messages.push({
          ...(message.id === undefined ? {} : { id: message.id }),
          event: message.event ?? '',
          data: JSON.parse(message.data),
        });
      },
    });
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        parser.feed(decoder.decode(chunk, { stream: true }));
        if (messages.length >= count) break;
      }
    } finally {
      abort.abort();
    }
    for (const message of messages) {
      const { id } = message;
      if (!validate(message)) {
        throw new Error(`watch event ${id} does not match the document: ${JSON.stringify(validate.errors)}`);
      }
    }
    return messages.slice(0, count);
  }
}

function ajv2020(): Ajv2020 {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv;
}
