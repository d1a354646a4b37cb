package dev.aigateway.api;

/**
 * One signal of one consumer, as the inventory reports it ({@link ConsumerSnapshot#signals()}).
 *
 * @param recent the value over the last time bucket, in the signal's {@link AnomalySignal#unit()}
 *     (NaN for a share of calls when too few calls were made to say)
 * @param baseline the mean of the learnt baseline (0 before any sample)
 * @param deviation the standard deviation of the baseline
 * @param samples how many time buckets the baseline has learnt; the consumer is judged on this
 *     signal only once they reach the configured minimum
 */
public record SignalReading(double recent, double baseline, double deviation, long samples) {}
