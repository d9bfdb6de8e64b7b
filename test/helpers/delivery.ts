// Assertions shared by the channel and sender tests.
import assert from 'node:assert/strict';
import { DeliveryError } from '../../alerting/channels/types.js';

/** Runs `send` and returns the DeliveryError it must throw. */
export async function deliveryError(send: Promise<unknown>): Promise<DeliveryError> {
  try {
    await send;
  } catch (error) {
    assert.ok(error instanceof DeliveryError, `expected a DeliveryError, got ${String(error)}`);
    return error;
  }
  assert.fail('the send succeeded but was expected to fail');
}
