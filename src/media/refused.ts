import type { Catalogued } from '../core/errors.js';

/** A file a job brought that cannot be used (not audio, not a document, too large, unreachable…); faces answer 422 naming it. */
export class MediaRefused extends Error implements Catalogued {
  override name = 'MediaRefused';
  readonly errorCode = 'media_refused';
}
