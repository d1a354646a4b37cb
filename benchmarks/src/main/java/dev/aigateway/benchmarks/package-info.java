/**
 * Benchmarks of the gateway against a plain client: {@link
 * dev.aigateway.benchmarks.GovernedCallBenchmark} (JMH, in process, a backend that costs nothing),
 * {@link dev.aigateway.benchmarks.LoadHarness} (concurrent callers against a loopback server) and
 * {@link dev.aigateway.benchmarks.BackendSelectionBenchmark} (JMH, what choosing a backend of a
 * pool costs a call). docs/benchmarks.md tells how to run them and what they measured. For the
 * semantic cache: {@link dev.aigateway.benchmarks.SemanticCacheEvaluation} (paraphrase hits and
 * false hits on labelled prompt pairs, per threshold) and {@link
 * dev.aigateway.benchmarks.EmbeddingBenchmark} (JMH, what embedding a prompt and the false-hit
 * guard cost); docs/semantic-eval.md has their results.
 */
package dev.aigateway.benchmarks;
