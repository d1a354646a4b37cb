/**
 * Backend pools: {@link dev.aigateway.core.routing.Backend}, {@link
 * dev.aigateway.core.routing.BackendPool}, {@link dev.aigateway.core.routing.LoadBalancing}, {@link
 * dev.aigateway.core.routing.Failover}, {@link dev.aigateway.core.routing.CircuitBreakerPolicy} and
 * {@link dev.aigateway.core.routing.TrafficSplit} configure where calls go. The engines beside them
 * (router, breakers, backend state, the per-call routing) are the library's own; those that are
 * public are so for the benchmarks and may change in any release.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.core.routing;

import org.jspecify.annotations.NullMarked;
