package dev.aigateway.core.telemetry;

import dev.aigateway.api.QuotaPeriod;
import java.time.Instant;
import java.util.Comparator;

/** Where a ledger row counts: one consumer's use of one model in one window. */
record RowKey(QuotaPeriod period, Instant start, String consumer, String model)
    implements Comparable<RowKey> {

  /** Period (hour, day, month), then window start, consumer, model. */
  static final Comparator<RowKey> ORDER =
      Comparator.comparing(RowKey::period)
          .thenComparing(RowKey::start)
          .thenComparing(RowKey::consumer)
          .thenComparing(RowKey::model);

  @Override
  public int compareTo(RowKey other) {
    return ORDER.compare(this, other);
  }
}
