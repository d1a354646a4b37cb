/**
 * What the gateway reports of its calls: the telemetry stage that emits one {@link
 * dev.aigateway.api.GatewayEvent} per call, {@link dev.aigateway.core.telemetry.LoggingListener},
 * the {@link dev.aigateway.core.telemetry.PromptLog} (with {@link
 * dev.aigateway.core.telemetry.Redaction}), prices ({@link
 * dev.aigateway.core.telemetry.PriceTable}) and the {@link
 * dev.aigateway.core.telemetry.UsageLedger}.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.core.telemetry;

import org.jspecify.annotations.NullMarked;
