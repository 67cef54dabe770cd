// Names for the generated schema types (src/schema.d.ts, from docs/openapi.json).
import type { components, operations, paths } from './schema.js';

type S = components['schemas'];
export type { components, operations, paths };
export type ErrorBody = S['ErrorBody'];
export type User = S['User'];
export type Me = S['Me'];
export type Tokens = S['TokensBody'];
export type LoginResponse = S['LoginResponse'];
export type Category = S['Category'];
export type NovelSummary = S['NovelSummary'];
export type NovelDetail = S['NovelDetail'];
export type Chapter = S['Chapter'];
export type ChapterContent = S['ChapterContent'];
export type Progress = S['Progress'];
export type ProgressRequest = S['ProgressRequest'];
export type BatchItem = S['BatchItem'];
export type BatchItemError = S['BatchItemError'];
export type BatchResult = S['BatchResult'];
export type ShelfItem = S['ShelfItem'];
export type LastRead = S['LastRead'];
export type SearchItem = S['SearchItem'];

/** The query parameters of an operation, by its `operationId`. */
export type Query<Op extends keyof operations> = NonNullable<operations[Op]['parameters']['query']>;

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The paths that have an operation for `M`. */
export type PathsFor<M extends Method> = {
  [P in keyof paths]: paths[P][M] extends undefined ? never : P;
}[keyof paths];

export type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;

type Prop<T, K extends PropertyKey> = T extends { [k in K]?: infer V } ? Exclude<V, undefined> : never;
type Json<R> = R extends { content: { 'application/json': infer T } } ? T : undefined;

/** Path parameters, query and JSON body of an operation. */
export interface CallOptions<O> {
  path?: Prop<Prop<O, 'parameters'>, 'path'>;
  query?: Prop<Prop<O, 'parameters'>, 'query'>;
  body?: Json<Prop<O, 'requestBody'>>;
}

/** The body of a successful answer (200/201; `undefined` for 204). */
export type Success<O> =
  O extends { responses: infer R }
    ? { [K in keyof R]: K extends 200 | 201 | 204 ? Json<R[K]> : never }[keyof R]
    : never;
