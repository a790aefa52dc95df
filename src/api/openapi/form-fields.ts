import { z } from 'zod';

/** The media types of a form a route reads as uContact and ICTCore do: form-encoded, or JSON with the same names. */
export const FORM_TYPES = ['application/x-www-form-urlencoded', 'application/json'] as const;

/**
 * A form the handler reads field by field (no zod schema of its own): its names, each a string with
 * what it is, for the OpenAPI document. It says which fields are read, not every rule the handler
 * checks; other fields are let through, as the handler ignores them.
 */
export const formFields = (fields: Readonly<Record<string, string>>, required: readonly string[] = []): z.ZodType =>
  z.looseObject(Object.fromEntries(Object.entries(fields).map(([k, what]) => [k, required.includes(k) ? z.string().describe(what) : z.string().describe(what).optional()])));
