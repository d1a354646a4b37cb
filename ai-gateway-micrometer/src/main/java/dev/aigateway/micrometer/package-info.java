/**
 * Micrometer metrics for the gateway: {@link dev.aigateway.micrometer.GenAiMetrics} records every
 * governed call with the OpenTelemetry GenAI metric names and the gateway's own meters (all named
 * in {@link dev.aigateway.micrometer.GenAiMetricNames}), tagged with any custom {@link
 * dev.aigateway.micrometer.Dimension}.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.micrometer;

import org.jspecify.annotations.NullMarked;
