/**
 * The gateway an application builds: {@link dev.aigateway.core.AiGateway} and its builder, and
 * {@link dev.aigateway.core.Prompts}, the prompt tokens the gateway estimates for a request. Each
 * stage of the pipeline is configured with the types of its own package: {@code core.limit} (token
 * limits and quotas), {@code core.routing} (backend pools, load balancing, failover, circuit
 * breakers), {@code core.cache} (exact and semantic response cache), {@code core.telemetry}
 * (logging listener, prompt log, prices, usage ledger) and {@code core.tokens} (token counting).
 *
 * <p>Not API: {@code core.adapter} is for client adapters (the OkHttp module), {@code
 * core.pipeline} for the stages, and {@code core.wire} holds the wire format's readers. Their types
 * are public so that the modules of this library can reach them; they may change in any release.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.core;

import org.jspecify.annotations.NullMarked;
