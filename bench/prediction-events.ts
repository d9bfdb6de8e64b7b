// The benchmarks' Kafka input: realistic prediction events (20 features, 12 numeric and 8
// categorical, ~480 bytes of JSON each) and the producer loop that pre-produces them.
// Shared by bench/ingest.ts and bench/kafka-clients.ts so both read the same traffic.
import type { Kafka } from 'kafkajs';
import { TrafficGenerator } from '../demo/traffic.js';

/** `count` prediction events as JSON text, 100 ms apart from `firstTimestampMs`; the same sequence on every call. */
export function* predictionEvents(count: number, firstTimestampMs: number): Generator<string> {
  const traffic = new TrafficGenerator({ modelId: 'bench', modelVersion: 'v1', numericFeatures: 12, categoricalFeatures: 8, driftShift: 0, seed: 7 });
  for (let i = 0; i < count; i += 1) yield JSON.stringify(traffic.prediction(firstTimestampMs + i * 100, false));
}

/** Sends every value to `topic` (5,000 per request, 4 requests in flight, acks = leader). */
export async function produceEvents(kafka: Kafka, topic: string, values: Iterable<string>): Promise<{ count: number; bytes: number }> {
  const producer = kafka.producer();
  await producer.connect();
  let count = 0;
  let bytes = 0;
  try {
    let chunk: Array<{ value: string }> = [];
    const inFlight: Array<Promise<unknown>> = [];
    for (const value of values) {
      chunk.push({ value });
      count += 1;
      bytes += value.length;
      if (chunk.length === 5000) {
        inFlight.push(producer.send({ topic, acks: 1, messages: chunk }));
        chunk = [];
        if (inFlight.length >= 4) await inFlight.shift();
      }
    }
    if (chunk.length > 0) inFlight.push(producer.send({ topic, acks: 1, messages: chunk }));
    await Promise.all(inFlight);
  } finally {
    await producer.disconnect();
  }
  return { count, bytes };
}
