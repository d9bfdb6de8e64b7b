import type { Ajv, AnySchema, ValidateFunction } from 'ajv';

/**
 * A validator compiled on its first use. Ajv generates and compiles code per schema: done
 * at import, the definitions of monitors, rules, channels and events cost every process
 * ~0.3 s of start-up (measured), whatever its roles and whether it ever validates one.
 */
export function compileOnFirstUse<T = unknown>(ajv: Ajv, schema: AnySchema): () => ValidateFunction<T> {
  let validate: ValidateFunction<T> | undefined;
  return () => (validate ??= ajv.compile<T>(schema));
}
