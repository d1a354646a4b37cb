/**
 * Benchmarks of the gateway against a plain client: {@link
 * dev.aigateway.benchmarks.GovernedCallBenchmark} (JMH, in process, a backend that costs nothing),
 * {@link dev.aigateway.benchmarks.LoadHarness} (concurrent callers against a loopback
 * server) and {@link dev.aigateway.benchmarks.BackendSelectionBenchmark} (JMH, what choosing a
 * backend of a pool costs a call). docs/benchmarks.md tells how to run them and what they
 * measured.
 */
package dev.aigateway.benchmarks;
