package dev.aigateway.api.spi;

import dev.aigateway.api.LedgerEntry;
import java.io.IOException;
import java.util.List;
import java.util.Objects;

/**
 * Thrown by {@link LedgerSink#write} when it wrote nothing because some of the rows can never be
 * written, whenever it is tried again: a value its store cannot hold (a cost beyond what a column
 * or counter holds, a name longer than a column). The ledger sets those rows aside, logs each of
 * them with its counts, and hands the other rows to the sink again in the same flush, so that one
 * row the sink refuses does not hold back every later flush.
 *
 * <p>Throw a plain {@link IOException} instead when the write failed for a reason that may pass
 * (the store is down, a timeout): the ledger then keeps every row for the next flush.
 *
 * <pre>{@code
 * List<LedgerEntry> refused = entries.stream().filter(e -> e.consumer().length() > 64).toList();
 * if (!refused.isEmpty()) {
 *   throw new LedgerRowsRefusedException("consumer longer than the column's 64 characters", refused);
 * }
 * }</pre>
 */
public final class LedgerRowsRefusedException extends IOException {

  private static final long serialVersionUID = 1L;

  private final transient List<LedgerEntry> refused;

  /**
   * @param message why the rows cannot be written; never a credential
   * @param refused the rows of the write that can never be written (not empty; each one of the
   *     write's rows)
   */
  public LedgerRowsRefusedException(String message, List<LedgerEntry> refused) {
    super(message);
    Objects.requireNonNull(refused, "refused");
    if (refused.isEmpty()) {
      throw new IllegalArgumentException(
          "a LedgerRowsRefusedException names at least one refused row; throw a plain IOException"
              + " when the write failed as a whole");
    }
    this.refused = List.copyOf(refused);
  }

  /** The rows the sink refused, as it was handed them. */
  public List<LedgerEntry> refused() {
    return refused;
  }
}
