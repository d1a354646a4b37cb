/**
 * Consumer anomaly detection: {@link dev.aigateway.core.anomaly.AnomalyDetection} configures it
 * (signals, sensitivity, what to do, for how long), {@link dev.aigateway.core.anomaly.Anomalies} is
 * a gateway's running detector (the inventory of consumers, manual block and release), and the
 * anomaly stage checks each call's consumer before the call is sent and feeds the call's usage and
 * outcome back when it ends. The model is described on {@link
 * dev.aigateway.core.anomaly.AnomalyDetection} and in {@code docs/security.md}.
 *
 * <p>Parameters, results and record components are non-null unless marked {@code @Nullable}.
 */
@NullMarked
package dev.aigateway.core.anomaly;

import org.jspecify.annotations.NullMarked;
