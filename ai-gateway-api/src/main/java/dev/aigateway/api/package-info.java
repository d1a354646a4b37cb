/**
 * The gateway's vocabulary, shared by every module and by applications: the request as policies see
 * it ({@link dev.aigateway.api.LlmRequest}), who is charged ({@link dev.aigateway.api.KeyResolver},
 * {@link dev.aigateway.api.KeyResolvers}), which calls are governed ({@link
 * dev.aigateway.api.CallMatcher}), what a call came to ({@link dev.aigateway.api.GatewayEvent},
 * {@link dev.aigateway.api.Usage}, delivered to a {@link dev.aigateway.api.GatewayListener}) and
 * the exceptions a rejected call throws. Depends on the JDK only (and on JSpecify's annotations).
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.api;

import org.jspecify.annotations.NullMarked;
