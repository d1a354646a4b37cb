/**
 * Benchmarks of the gateway against a plain client: {@link
 * dev.aigateway.benchmarks.GovernedCallBenchmark} (JMH, in process, a backend that costs nothing)
 * and {@link dev.aigateway.benchmarks.LoadHarness} (concurrent callers against a loopback
 * server). docs/benchmarks.md tells how to run them and what they measured.
 */
package dev.aigateway.benchmarks;
